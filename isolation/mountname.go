package isolation

import (
	"fmt"
	"regexp"
)

// mountNameRule is the one grammar of mount names: a plain name that
// cannot be read as an option (no leading '-'), a path (no '/', not '.'
// or '..'), or anything a shell, a log or a client would mangle.
var mountNameRule = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// reservedMountNames are the sandbox root's own entries and the system
// directories that programs run in the sandbox look for (rsync's popt
// reads /etc/popt, for one): a folder by such a name would feed them.
var reservedMountNames = map[string]bool{
	"proc": true, "dev": true, "tmp": true, "etc": true, "usr": true, "bin": true,
	"sbin": true, "lib": true, "lib32": true, "lib64": true, "libx32": true,
	"run": true, "sys": true, "var": true, "root": true, "home": true, "nonexistent": true,
}

// CheckMountName returns nil iff n can name a session folder, that is the
// directory /<n> inside the sandbox: 1 to 64 letters, digits, '.', '_' or
// '-', starting with a letter or digit, and not a reserved name.
func CheckMountName(n string) error {
	if !mountNameRule.MatchString(n) {
		return fmt.Errorf("%q is not a mount name: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit", n)
	}
	if reservedMountNames[n] {
		return fmt.Errorf("%q is reserved by the sandbox", n)
	}
	return nil
}
