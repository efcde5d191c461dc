package signing

import (
	"io/fs"
	"syscall"
)

// ownedByRoot says whether the file belongs to uid 0 (false where that cannot be told).
func ownedByRoot(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && st.Uid == 0
}
