package notify

import "github.com/lambdaudit/lambdaudit/atomicfile"

// writeFileAtomic writes b to path through the shared atomic writer
// (package atomicfile): a reader never sees half a file, and a failure
// leaves the previous one as it was.
func writeFileAtomic(path string, b []byte) error {
	return atomicfile.WriteFile(path, b)
}
