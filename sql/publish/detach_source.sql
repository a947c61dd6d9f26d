-- close the working database
detach publish_source
