package execio

import (
	"errors"
	"fmt"
	"strings"
)

// Word is one word of an exec command line after quote removal.
type Word struct {
	Text string
	// Glob is set when the word holds an unquoted *, ? or [: a shell would
	// have expanded it, so commands that read files may match it themselves.
	Glob bool
}

// ErrShellSyntax marks command lines that need a shell to mean anything.
var ErrShellSyntax = errors.New("shell syntax is not available here")

// Split splits an exec command line the way a POSIX shell splits one
// simple command: blanks separate words, single quotes, double quotes and
// backslashes quote. There is no shell behind it, so nothing is expanded
// and a line that would need one — pipes, lists, redirections,
// substitutions, comments — is refused rather than half-understood.
func Split(line string) ([]Word, error) {
	var (
		words []Word
		cur   strings.Builder
		glob  bool
		inTok bool // a word has started (even an empty quoted one)
	)
	flush := func() {
		if inTok {
			words = append(words, Word{Text: cur.String(), Glob: glob})
		}
		cur.Reset()
		glob, inTok = false, false
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == ' ' || c == '\t':
			flush()
		case c == '\\':
			if i+1 == len(line) {
				return nil, fmt.Errorf("trailing backslash: %w", ErrShellSyntax)
			}
			i++
			if line[i] != '\n' { // backslash-newline is a line continuation
				cur.WriteByte(line[i])
				inTok = true
			}
		case c == '\'':
			end := strings.IndexByte(line[i+1:], '\'')
			if end < 0 {
				return nil, fmt.Errorf("unterminated single quote: %w", ErrShellSyntax)
			}
			cur.WriteString(line[i+1 : i+1+end])
			i += end + 1
			inTok = true
		case c == '"':
			n, err := doubleQuoted(line[i+1:], &cur)
			if err != nil {
				return nil, err
			}
			i += n + 1
			inTok = true
		case strings.IndexByte("|&;<>()$`\n\r", c) >= 0:
			return nil, fmt.Errorf("%q: %w", c, ErrShellSyntax)
		case c == '#' && !inTok:
			return nil, fmt.Errorf("comment: %w", ErrShellSyntax)
		default:
			if c == '*' || c == '?' || c == '[' {
				glob = true
			}
			cur.WriteByte(c)
			inTok = true
		}
	}
	flush()
	return words, nil
}

// doubleQuoted copies the body of a double-quoted string (s starts after
// the opening quote) into cur and returns the index of the closing quote.
// Inside double quotes a backslash escapes only $ ` " \ and newline.
func doubleQuoted(s string, cur *strings.Builder) (int, error) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			return i, nil
		case '$', '`':
			return 0, fmt.Errorf("%q inside double quotes: %w", c, ErrShellSyntax)
		case '\\':
			if i+1 < len(s) && strings.IndexByte("$`\"\\\n", s[i+1]) >= 0 {
				i++
				if s[i] != '\n' {
					cur.WriteByte(s[i])
				}
				continue
			}
			cur.WriteByte(c)
		default:
			cur.WriteByte(c)
		}
	}
	return 0, fmt.Errorf("unterminated double quote: %w", ErrShellSyntax)
}

// Texts returns the words' texts, the argv of the command.
func Texts(words []Word) []string {
	argv := make([]string, len(words))
	for i, w := range words {
		argv[i] = w.Text
	}
	return argv
}
