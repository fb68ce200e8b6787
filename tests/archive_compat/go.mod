// The archive compatibility checker: reads an unpacked ccr checkpoint archive
// with the types containerd 2.4 and checkpointctl write and read it with.
module ccr.test/archive_compat

go 1.26.0

require (
	github.com/checkpoint-restore/checkpointctl v1.6.0
	github.com/opencontainers/runtime-spec v1.3.0
	k8s.io/cri-api v0.37.0
)

require (
	cyphar.com/go-pathrs v0.2.5 // indirect
	github.com/cyphar/filepath-securejoin v0.7.0 // indirect
	golang.org/x/net v0.57.0 // indirect
	golang.org/x/sys v0.47.0 // indirect
	golang.org/x/text v0.40.0 // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20260526163538-3dc84a4a5aaa // indirect
	google.golang.org/grpc v1.82.1 // indirect
	google.golang.org/protobuf v1.36.12-0.20260120151049-f2248ac996af // indirect
)
