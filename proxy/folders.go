package proxy

import (
	"fmt"
	"io/fs"
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"
)

// defaultFolderMode is Backend.AI's mode for new vfolders.
const defaultFolderMode = 0o755

func (s *Service) handleVolumes(c *gin.Context) {
	out := VolumeList{Volumes: make([]VolumeInfo, 0, len(s.volumes))}
	for _, v := range s.volumes {
		out.Volumes = append(out.Volumes, VolumeInfo{
			Name:         v.name,
			Backend:      v.backend,
			Path:         v.path,
			FSPrefix:     ".",
			Capabilities: []string{"vfolder"},
		})
	}
	slices.SortFunc(out.Volumes, func(a, b VolumeInfo) int { return strings.Compare(a.Name, b.Name) })
	c.JSON(http.StatusOK, out)
}

// handleCreateFolder makes a vfolder's directory; creating one that exists
// succeeds, so callers can "ensure" a folder.
func (s *Service) handleCreateFolder(c *gin.Context) {
	var req CreateFolderRequest
	if err := decodeStrict(c.Writer, c.Request, &req); err != nil {
		abortProblem(c, err)
		return
	}
	vf, err := parseVFID(req.VFID)
	if err != nil {
		abortProblem(c, invalid("vfid", "%v", err))
		return
	}
	mode := fs.FileMode(defaultFolderMode)
	if req.Mode != nil {
		if *req.Mode > 0o777 {
			abortProblem(c, invalid("mode", "want permission bits 0..0777 (decimal 0..511)"))
			return
		}
		mode = fs.FileMode(*req.Mode)
	}
	vol, ok := s.volumes[req.Volume]
	if !ok {
		abortProblem(c, fmt.Errorf("volume %q: %w", req.Volume, ErrUnknownVolume))
		return
	}
	created, err := vol.createFolder(vf, s.cfg.Session.UID, s.cfg.Session.GID, mode)
	if err != nil {
		abortProblem(c, err)
		return
	}
	if created {
		s.log.Info("vfolder created", "volume", vol.name, "vfid", vf.String())
	}
	c.Status(http.StatusNoContent)
}
