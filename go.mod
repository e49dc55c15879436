module github.com/storage-agent/storage-agent

go 1.26.8
