package argon2id

import "sync"

const (
	// maxFree is how many hashes' memory the free list keeps: a worker runs
	// one hash per core, and the machines authd runs on have few.
	maxFree = 8
	// maxFreeBlocks is the largest memory kept, in 1 KiB blocks: the
	// production cost's 19 MiB, or an older hash's up to 64 MiB, but not the
	// 1 GiB a stored hash may ask for once.
	maxFreeBlocks = 64 << 10
)

// free holds the memory of finished hashes, newest last.
var free struct {
	sync.Mutex
	blocks [][]block
}

// memoryFor returns memory of n blocks for a hash, from the free list when
// it holds some of that size. Its content is whatever the last hash left.
func memoryFor(n uint32) []block {
	free.Lock()
	defer free.Unlock()
	for i := len(free.blocks) - 1; i >= 0; i-- {
		if b := free.blocks[i]; uint32(len(b)) == n {
			free.blocks = append(free.blocks[:i], free.blocks[i+1:]...)
			return b
		}
	}
	return make([]block, n)
}

// release puts a finished hash's memory on the free list, dropping the
// oldest when it is full.
func release(b []block) {
	if len(b) > maxFreeBlocks {
		return
	}
	free.Lock()
	defer free.Unlock()
	if len(free.blocks) == maxFree {
		free.blocks = append(free.blocks[:0], free.blocks[1:]...)
	}
	free.blocks = append(free.blocks, b)
}
