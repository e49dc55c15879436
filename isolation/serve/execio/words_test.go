package execio

import (
	"errors"
	"slices"
	"testing"
)

func TestSplitWords(t *testing.T) {
	cases := []struct {
		line string
		want []string
		glob []bool
	}{
		{"scp -t /data/x", []string{"scp", "-t", "/data/x"}, nil},
		{"  scp\t-f   a  ", []string{"scp", "-f", "a"}, nil},
		{`scp -t '/data/a b'`, []string{"scp", "-t", "/data/a b"}, nil},
		{`scp -t "/data/a b"`, []string{"scp", "-t", "/data/a b"}, nil},
		{`scp -t /data/a\ b`, []string{"scp", "-t", "/data/a b"}, nil},
		{`x '' ""`, []string{"x", "", ""}, nil},
		{`x 'it'\''s'`, []string{"x", "it's"}, nil},
		{`x "a\"b\\c\d"`, []string{"x", `a"b\c\d`}, nil},
		{`x '$HOME;|&'`, []string{"x", "$HOME;|&"}, nil},
		{`x \$HOME`, []string{"x", "$HOME"}, nil},
		{"x a\\\nb", []string{"x", "ab"}, nil},
		{`x a#b`, []string{"x", "a#b"}, nil},
		{`x /data/*.txt '/data/*.txt'`, []string{"x", "/data/*.txt", "/data/*.txt"}, []bool{false, true, false}},
		{"rsync --server -logDtpre.iLsfxCIvu . /data/유니코드\\ é", []string{"rsync", "--server", "-logDtpre.iLsfxCIvu", ".", "/data/유니코드 é"}, nil},
		{"", nil, nil},
	}
	for _, c := range cases {
		words, err := Split(c.line)
		if err != nil {
			t.Errorf("Split(%q): %v", c.line, err)
			continue
		}
		if got := Texts(words); !slices.Equal(got, c.want) {
			t.Errorf("Split(%q) = %q, want %q", c.line, got, c.want)
		}
		for i, g := range c.glob {
			if words[i].Glob != g {
				t.Errorf("Split(%q)[%d].glob = %v", c.line, i, words[i].Glob)
			}
		}
	}
}

func TestSplitWordsRefusesShellSyntax(t *testing.T) {
	for _, line := range []string{
		"cat /etc/passwd | nc x", "scp -t x; id", "a && b", "a || b", "a > /x", "a < /x",
		"echo $(id)", "echo `id`", `echo "$HOME"`, "echo ${x}", "a\nb", "(id)", "a & b",
		"'unterminated", `"unterminated`, `trailing\`, "# comment", "x #c",
	} {
		if _, err := Split(line); !errors.Is(err, ErrShellSyntax) {
			t.Errorf("Split(%q) = %v, want a shell syntax refusal", line, err)
		}
	}
}
