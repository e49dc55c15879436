package serve

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
)

// errRsyncArgs marks an rsync command line this server does not run.
var errRsyncArgs = errors.New("refused")

// rsyncDenied are options a stock client never sends to the server and
// that would make rsync do something else than serve one transfer: run a
// daemon, read a config, log or batch to files, run other programs, touch
// devices, or read its arguments from the stream where this check cannot
// see them (-s). Filters come over the protocol, never on the command line.
var rsyncDenied = map[string]bool{
	"daemon": true, "config": true, "dparam": true, "log-file": true, "log-file-format": true,
	"rsh": true, "rsync-path": true, "remote-option": true, "write-devices": true,
	"copy-devices": true, "write-batch": true, "only-write-batch": true, "read-batch": true,
	"address": true, "port": true, "sockopts": true, "password-file": true, "early-input": true,
	"protect-args": true, "secluded-args": true, "copy-as": true, "server": true,
	"filter": true, "exclude": true, "include": true, "detach": true, "no-detach": true,
}

// rsyncPathOptions take a path, given as --opt=value or as the next
// argument (the clients send the latter). Relative values are taken by
// rsync relative to the destination, so they are fine unless they climb.
var rsyncPathOptions = map[string]bool{
	"temp-dir": true, "partial-dir": true, "backup-dir": true, "compare-dest": true,
	"copy-dest": true, "link-dest": true, "files-from": true, "exclude-from": true,
	"include-from": true,
}

// rsyncShortValue are the short options whose value follows in the same
// word or the next one.
const rsyncShortValue = "BefTM@"

// rsyncShortDenied are short options refused like their long forms:
// -e other than the capability string, -f (filter), -M (remote option),
// -s (secluded args).
const rsyncShortDenied = "fMs"

// rsyncCapability is what a stock client puts after -e: not a command but
// the server's protocol capabilities, e.g. "-e.LsfxCIvu".
var rsyncCapability = regexp.MustCompile(`^\.[A-Za-z]*$`)

// checkRsyncArgs accepts exactly the shapes stock clients send,
// `rsync --server [--sender] <options> . <paths...>`, where every path and
// every path-valued option stays inside the session's folders.
func checkRsyncArgs(argv []string, mounts []string) error {
	if len(argv) < 2 || argv[1] != "--server" {
		return fmt.Errorf("only `rsync --server ...` as sent by an rsync client is served (use rsync -e ssh): %w", errRsyncArgs)
	}
	i := 2
	if i < len(argv) && argv[i] == "--sender" {
		i++
	}
	for ; i < len(argv) && argv[i] != "."; i++ {
		a := argv[i]
		var err error
		switch {
		case strings.HasPrefix(a, "--"):
			var consumed bool
			consumed, err = checkRsyncLong(a[2:], argv[i+1:], mounts)
			if consumed {
				i++
			}
		case strings.HasPrefix(a, "-") && len(a) > 1:
			var consumed bool
			consumed, err = checkRsyncShort(a[1:], argv[i+1:], mounts)
			if consumed {
				i++
			}
		default:
			err = fmt.Errorf("unexpected argument %q before \".\": %w", a, errRsyncArgs)
		}
		if err != nil {
			return err
		}
	}
	if i >= len(argv) {
		return fmt.Errorf("no \".\" and paths after the options (secluded arguments, -s, are not supported): %w", errRsyncArgs)
	}
	paths := argv[i+1:]
	if len(paths) == 0 {
		return fmt.Errorf("no path given: %w", errRsyncArgs)
	}
	for _, p := range paths {
		if err := checkRsyncPath(p, mounts); err != nil {
			return err
		}
	}
	return nil
}

// checkRsyncLong checks one long option (without its dashes); it reports
// whether it used the next argument as its value.
func checkRsyncLong(opt string, rest []string, mounts []string) (bool, error) {
	name, value, hasValue := strings.Cut(opt, "=")
	if rsyncDenied[name] {
		return false, fmt.Errorf("option --%s is not allowed here: %w", name, errRsyncArgs)
	}
	if !rsyncPathOptions[name] {
		return false, nil
	}
	consumed := false
	if !hasValue {
		if len(rest) == 0 {
			return false, fmt.Errorf("option --%s needs a value: %w", name, errRsyncArgs)
		}
		value, consumed = rest[0], true
	}
	if name == "files-from" && value == "-" {
		return consumed, nil
	}
	return consumed, checkRsyncOptionPath("--"+name, value, mounts)
}

// checkRsyncShort checks a cluster of short options such as
// "logDtprze.iLsfxCIvu"; it reports whether it used the next argument.
func checkRsyncShort(cluster string, rest []string, mounts []string) (bool, error) {
	for j := 0; j < len(cluster); j++ {
		c := cluster[j]
		if strings.IndexByte(rsyncShortDenied, c) >= 0 {
			return false, fmt.Errorf("option -%c is not allowed here: %w", c, errRsyncArgs)
		}
		if strings.IndexByte(rsyncShortValue, c) < 0 {
			continue
		}
		value, consumed := strings.TrimPrefix(cluster[j+1:], "="), false
		if j+1 == len(cluster) {
			if len(rest) == 0 {
				return false, fmt.Errorf("option -%c needs a value: %w", c, errRsyncArgs)
			}
			value, consumed = rest[0], true
		}
		switch c {
		case 'e':
			if !rsyncCapability.MatchString(value) {
				return false, fmt.Errorf("option -e (remote shell) is not allowed here: %w", errRsyncArgs)
			}
		case 'T':
			if err := checkRsyncOptionPath("-T", value, mounts); err != nil {
				return false, err
			}
		}
		return consumed, nil // the value ends the cluster
	}
	return false, nil
}

// rsyncReadFromCwd are the path options the server opens relative to its
// working directory, the session root, rather than to the destination.
var rsyncReadFromCwd = map[string]bool{"--files-from": true, "--include-from": true, "--exclude-from": true}

// checkRsyncOptionPath checks a path-valued option. Absolute paths, and
// the relative paths of options read from the working directory (the
// session root), must name something inside a folder; the other relative
// ones (taken relative to the destination) must not climb out with "..".
// Landlock stops what a symlink would add; this check answers early and
// plainly.
func checkRsyncOptionPath(opt, p string, mounts []string) error {
	if p == "" || strings.HasPrefix(p, "-") {
		return fmt.Errorf("option %s: bad value %q: %w", opt, p, errRsyncArgs)
	}
	if !strings.HasPrefix(p, "/") && !rsyncReadFromCwd[opt] {
		if slices.Contains(strings.Split(p, "/"), "..") {
			return fmt.Errorf("option %s: %q climbs out with \"..\": %w", opt, p, errRsyncArgs)
		}
		return nil
	}
	if err := checkRsyncPath(p, mounts); err != nil {
		return fmt.Errorf("option %s: %w", opt, err)
	}
	return nil
}

// checkRsyncPath checks a transfer path: rsync runs with "/" as its working
// directory, so relative and absolute paths both name session paths; they
// must name something inside one of the folders. ".." is refused outright:
// after a symlink it would not mean what it seems to.
func checkRsyncPath(p string, mounts []string) error {
	if p == "" || slices.Contains(strings.Split(p, "/"), "..") {
		return fmt.Errorf("path %q: \"..\" is not allowed here: %w", p, errRsyncArgs)
	}
	if strings.HasPrefix(p, "-") {
		// After "." rsync still parses options: a word like this would
		// smuggle one past the option checks above.
		return fmt.Errorf("path %q looks like an option: %w", p, errRsyncArgs)
	}
	clean := path.Clean("/" + p)
	first, _, _ := strings.Cut(clean[1:], "/")
	if clean == "/" || !slices.Contains(mounts, first) {
		return fmt.Errorf("path %q is not inside this session's folders; name one of them: /%s: %w",
			p, strings.Join(mounts, ", /"), errRsyncArgs)
	}
	return nil
}
