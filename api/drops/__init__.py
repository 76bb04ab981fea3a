"""Drop folders: objects any S3 client writes under the drop prefix become plates."""
