package storageapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
)

// maxBody caps a request body; the largest real one (50 mkdir paths or an
// archive's file list) is far smaller.
const maxBody = 4 << 20

// params is every parameter any route takes. Backend.AI reads them from a
// JSON body on every method, GET and DELETE included, and tolerates keys it
// does not know (is_dir, extra_args, ...), so the decoder is not strict;
// each route checks the keys it needs.
type params struct {
	Volume          string          `json:"volume"`
	VFID            string          `json:"vfid"`
	QSID            *string         `json:"qsid"`
	Options         json.RawMessage `json:"options"`
	Mode            *int64          `json:"mode"`
	SrcVolume       string          `json:"src_volume"`
	SrcVFID         string          `json:"src_vfid"`
	DstVolume       string          `json:"dst_volume"`
	DstVFID         string          `json:"dst_vfid"`
	Subpath         *string         `json:"subpath"`
	Relpath         pathList        `json:"relpath"`
	Relpaths        []string        `json:"relpaths"`
	Recursive       bool            `json:"recursive"`
	ExistOK         bool            `json:"exist_ok"`
	Parents         *bool           `json:"parents"`
	NewName         *string         `json:"new_name"`
	SrcRelpath      *string         `json:"src_relpath"`
	DstRelpath      *string         `json:"dst_relpath"`
	Size            *intString      `json:"size"`
	Archive         bool            `json:"archive"`
	UnmanagedPath   *string         `json:"unmanaged_path"`
	VirtualFolderID string          `json:"virtual_folder_id"`
	Files           []string        `json:"files"`
	Filename        *string         `json:"filename"`
}

// decode reads the JSON body of c into p.
func decode(c *gin.Context, p *params) error {
	b, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxBody))
	if err != nil {
		return badParam("body", "%v", err)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return badParam("body", "empty; want a JSON object")
	}
	if err := json.Unmarshal(b, p); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return badParam(te.Field, "want %s, got JSON %s", te.Type, te.Value)
		}
		var pe *paramError
		if errors.As(err, &pe) {
			return pe
		}
		return badParam("body", "%v", err)
	}
	return nil
}

// pathList is a relpath given as one string or a list of strings.
type pathList []string

// UnmarshalJSON accepts "a" and ["a", "b"].
func (l *pathList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*l = pathList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return &paramError{key: "relpath", msg: "want a string or a list of strings"}
	}
	*l = many
	return nil
}

// intString is an integer sent as a number or as a decimal string: the
// manager sends upload sizes as str(size).
type intString int64

// UnmarshalJSON accepts 5 and "5".
func (n *intString) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return &paramError{key: "size", msg: fmt.Sprintf("%s is not an integer", b)}
	}
	*n = intString(v)
	return nil
}

// need checks that each named string parameter is set.
func need(kv ...string) error {
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			return badParam(kv[i], "required")
		}
	}
	return nil
}
