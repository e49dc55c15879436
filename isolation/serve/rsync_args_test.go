package serve

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckRsyncArgs(t *testing.T) {
	mounts := []string{"data", "ro"}
	ok := []string{
		"rsync --server -logDtpre.iLsfxCIvu . /data/x",
		"rsync --server --sender -logDtpre.iLsfxCIvu . /data/x /ro/y",
		"rsync --server -logDtprze.iLsfxCIvu --partial --inplace --delete . /data/",
		"rsync --server -lHogDtprce.iLsfxCIvu --bwlimit=1000 . data/x",
		"rsync --server -blogDtpre.iLsfxCIvu --backup-dir /data/b --partial-dir .p --temp-dir /data/t . /data/x",
		"rsync --server --sender -logDtpRe.LsfxCIvu --files-from /data/list . /data/",
		"rsync --server --sender -logDtpRe.LsfxCIvu --files-from=- --from0 . /data/",
		"rsync --server -logDtpre.iLsfxCIvu --remove-source-files --log-format=X . /data/x",
		"rsync --server -logDtpre.iLsfxCIvu -T /data/tmp . /data/x",
	}
	for _, line := range ok {
		if err := checkRsyncArgs(strings.Fields(line), mounts); err != nil {
			t.Errorf("%s: %v", line, err)
		}
	}
	bad := []string{
		"rsync --daemon",
		"rsync --server --daemon . /data/x",
		"rsync -e.iLsfxCIvu --server . /data/x",
		"rsync --server -logDtpre.iLsfxCIvu . /etc/passwd",
		"rsync --server --sender -logDtpre.iLsfxCIvu . /data/../etc",
		"rsync --server --sender -logDtpre.iLsfxCIvu . /da*",
		"rsync --server --sender -logDtpre.iLsfxCIvu . .",
		"rsync --server --sender -logDtpre.iLsfxCIvu . /",
		"rsync --server --sender -logDtpre.iLsfxCIvu . /proc/self/environ",
		"rsync --server --sender -logDtpre.iLsfxCIvu --files-from=/etc/passwd . /data/",
		"rsync --server --sender -logDtpre.iLsfxCIvu --files-from /etc/passwd . /data/",
		"rsync --server -logDtpre.iLsfxCIvu --temp-dir=/ . /data/x",
		"rsync --server -logDtpre.iLsfxCIvu --temp-dir /tmp . /data/x",
		"rsync --server -logDtpre.iLsfxCIvu -T/tmp . /data/x",
		"rsync --server -logDtpre.iLsfxCIvu --partial-dir ../../tmp . /data/x",
		"rsync --server -logDtpre.iLsfxCIvu --link-dest=/etc . /data/x",
		"rsync --server -logDtpre.iLsfxCIvu --log-file=/data/log . /data/x",
		"rsync --server -logDtpre.iLsfxCIvu --rsh=sh . /data/x",
		"rsync --server -logDtpre/bin/sh . /data/x",
		"rsync --server -e sh . /data/x",
		"rsync --server --config=/etc/rsyncd.conf . /data/x",
		"rsync --server --write-devices . /data/x",
		"rsync --server --copy-devices . /data/x",
		"rsync --server -slogDtpre.iLsfxCIvu",
		"rsync --server -logDtpre.iLsfxCIvu -M--log-file=/x . /data/x",
		"rsync --server -logDtpre.iLsfxCIvu --filter=merge_/etc/x . /data/x",
		"rsync --server -logDtpre.iLsfxCIvu /etc . /data/x",
		"rsync --server -logDtpre.iLsfxCIvu",
		"rsync --server -logDtpre.iLsfxCIvu .",
	}
	for _, line := range bad {
		if err := checkRsyncArgs(strings.Fields(line), mounts); !errors.Is(err, errRsyncArgs) {
			t.Errorf("%s: accepted (%v)", line, err)
		}
	}
}
