package config

import (
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
)

// keyHelp says what each key means, for `storage-agent help config`. A key
// of a volume is written with "<name>" for the volume's name. A key missing
// here fails the package's tests.
var keyHelp = map[string]string{
	"agent.id":                                      "name reported to the manager; also names this agent's cgroups",
	"agent.public-host":                             "host put into connection details (sftp host, web login links)",
	"agent.var-base-path":                           "state: serve.lock, host keys, secrets, certificates, sandbox roots; relative paths are taken from the config file's directory",
	"api.manager.service-addr.host":                 "address of the manager API; plain HTTP, keep it on a private network",
	"api.manager.service-addr.port":                 "port of the manager API (Backend.AI's storage-proxy uses 6022 too: storage-agent replaces it)",
	"api.manager.secret":                            "shared with the manager (X-BackendAI-Storage-Auth-Token); empty: generated once into <var-base-path>/manager.secret",
	"sftp.service-addr.host":                        "address of the SSH server (sftp, scp, rsync)",
	"sftp.service-addr.port":                        "port of the SSH server",
	"sftp.ciphers":                                  "SSH ciphers offered, comma-separated, as in sshd_config",
	"webfs.service-addr.host":                       "address of the HTTPS web file API and UI",
	"webfs.service-addr.port":                       "port of the HTTPS web file API and UI",
	"webfs.ssl-cert":                                "PEM certificate of webfs; both empty: a self-signed one, generated once under <var-base-path>/webfs",
	"webfs.ssl-privkey":                             "PEM private key of ssl-cert",
	"webfs.filebrowser-frontend":                    "directory of Filebrowser's built frontend (its dist, holding public/index.html or index.html) to serve at / instead of storage-agent's UI; the login link logs it in; empty: storage-agent's UI",
	"session.max-sessions":                          "sessions this agent hosts at once (the slot counter)",
	"session.max-sessions-per-user":                 "sessions one user may hold at once (a request may override it)",
	"session.cpu":                                   "CPU cores per session worker: default and maximum of a request",
	"session.memory":                                "memory per session worker, page cache included: default and maximum of a request",
	"session.pids":                                  "processes per session worker: default and maximum of a request",
	"session.idle-timeout":                          "a session without connections for this long is closed",
	"session.max-ttl":                               "longest lifetime a session may have",
	"session.uid":                                   "default owner uid of files sessions write (never 0)",
	"session.gid":                                   "default owner gid of files sessions write (never 0)",
	"session.max-web-requests":                      "web requests one session may have in flight; past it 429 with Retry-After",
	"session.max-ssh-connections":                   "SSH connections one session may hold; past it a login is refused with a banner saying why",
	"session.max-channels-per-connection":           "open channels (sftp, scp, rsync, checksums) per SSH connection, as OpenSSH's MaxSessions",
	"session.max-ssh-channels":                      "open channels over all of one session's SSH connections",
	"api.client.service-addr.host":                  "address of the client API (users' downloads and uploads with tokens the manager issued)",
	"api.client.service-addr.port":                  "port of the client API (Backend.AI's storage-proxy uses 6021 too: storage-agent replaces it)",
	"api.client.ssl-enabled":                        "serve the client API over TLS; false: plain HTTP (behind a TLS-terminating proxy)",
	"api.client.ssl-cert":                           "PEM certificate of the client API; both empty: webfs's certificate",
	"api.client.ssl-privkey":                        "PEM private key of ssl-cert",
	"storage-proxy.secret":                          "signs client API tokens (never the manager's secret); empty: generated once into <var-base-path>/storage-proxy.secret",
	"storage-proxy.session-expire":                  "lifetime of the download and upload tokens the manager asks for",
	"storage-proxy.max-upload-size":                 "largest upload the client API accepts",
	"storage-proxy.scandir-limit":                   "most entries one /folder/file/list answers",
	"storage-proxy.allow-auto-quota-scope-creation": "create a vfolder's quota scope when it does not exist yet",
	"redis.addr":                                    "Backend.AI's event bus (host:port or unix socket path); empty: the manager hears no task completions",
	"redis.password":                                "password of the event bus",
	"redis.db":                                      "database of the event bus (Backend.AI's stream db is 4)",
	"redis.event-format":                            `"msgpack" (Backend.AI up to 26.8.x) or "json" (Backend.AI main)`,
	"volume.<name>.backend":                         `storage backend of the volume; only "vfs" (a plain directory tree)`,
	"volume.<name>.path":                            "directory of the volume; must exist (it is never created, except the built-in <var-base-path>/volumes/local)",
}

// WriteHelp lists every key with its default and meaning.
func WriteHelp(w io.Writer) error {
	defaults := map[string]string{}
	flatten(defaults, "", encode(reflect.ValueOf(*Default())))
	var b strings.Builder
	b.WriteString(`Configuration keys. Each is set in storage-agent.toml ([section] key = value),
as STORAGE_AGENT_<SECTION>__<KEY> in the environment (levels joined by "__",
"-" written as "_"), or as a --section.key VALUE flag; later ones win.

`)
	for _, key := range Keys() {
		generic := genericKey(key)
		fmt.Fprintf(&b, "%s = %s\n    %s\n", generic, defaults[key], keyHelp[generic])
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// genericKey writes a volume's key with "<name>" for its name.
func genericKey(key string) string {
	if rest, ok := strings.CutPrefix(key, "volume."); ok {
		if i := strings.LastIndex(rest, "."); i >= 0 {
			return "volume.<name>" + rest[i:]
		}
	}
	return key
}

// flatten puts the leaves of an encoded tree into out as TOML values.
func flatten(out map[string]string, prefix string, v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, sub := range x {
			if prefix != "" {
				k = prefix + "." + k
			}
			flatten(out, k, sub)
		}
	case string:
		out[prefix] = tomlString(x)
	case float64:
		out[prefix] = tomlFloat(x)
	case int64:
		out[prefix] = strconv.FormatInt(x, 10)
	case bool:
		out[prefix] = strconv.FormatBool(x)
	}
}
