package serve

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/storage-agent/storage-agent/isolation/serve/execio"
	"github.com/storage-agent/storage-agent/isolation/serve/scp"
)

// offered names, for refusals, what an exec request may run here.
const offered = "this server offers sftp, scp, rsync, md5sum, sha1sum, sha256sum and sha512sum"

// runExec serves one exec command line and returns its exit status. It
// owns data, the exec's stdin/stdout stream, and closes it before it
// returns, so the daemon sees EOF before the status.
func runExec(sfs *sessionFS, children *launcher, command string, data *os.File, stderr io.Writer) int {
	words, err := execio.Split(command)
	if err != nil {
		data.Close()
		fmt.Fprintf(stderr, "storage-agent: %v; %s\n", err, offered)
		return 2
	}
	if len(words) == 0 {
		data.Close()
		fmt.Fprintf(stderr, "storage-agent: an empty command is not available here; %s\n", offered)
		return 127
	}
	argv := execio.Texts(words)
	name := commandName(argv[0])
	switch name {
	case "rsync":
		return runRsync(children, sfs.Names(), argv, data, stderr)
	case "scp", "md5sum", "sha1sum", "sha256sum", "sha512sum":
	default:
		data.Close()
		fmt.Fprintf(stderr, "storage-agent: %q is not available here; %s\n", argv[0], offered)
		return 127
	}
	x, err := execio.New(sfs.FS, data, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "storage-agent: %v\n", err)
		return 1
	}
	defer x.Close()
	if name == "scp" {
		return scp.Run(x, words)
	}
	return runChecksum(x, name, argv[1:])
}

// commandName maps argv[0] to the command it names; clients sometimes send
// an absolute path (rsync --rsync-path=/usr/bin/rsync).
func commandName(arg0 string) string {
	for _, dir := range []string{"/usr/bin/", "/bin/", "/usr/local/bin/"} {
		if rest, ok := strings.CutPrefix(arg0, dir); ok {
			return rest
		}
	}
	return arg0
}
