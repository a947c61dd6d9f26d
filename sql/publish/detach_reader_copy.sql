-- close the reader copy
detach publish_target
