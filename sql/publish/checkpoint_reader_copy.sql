-- write the reader copy's wal into the file so it is complete on its own before detach
checkpoint publish_target
