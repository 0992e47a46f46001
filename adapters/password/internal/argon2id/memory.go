package argon2id

import "sync"

// maxFreeBlocks bounds the memory the free list keeps, in 1 KiB blocks: that
// of eight hashes at authd's cost (19 MiB each), whatever their sizes. A
// worker runs one hash per core with one more waiting, so on the machines
// authd runs on the list holds what the last busy moment used; a hash larger
// than the bound (a stored hash may ask for up to 1 GiB) is never kept.
const maxFreeBlocks = 8 * 19456

// free holds the memory of finished hashes, oldest first.
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
// oldest there until it fits under maxFreeBlocks.
func release(b []block) {
	if len(b) > maxFreeBlocks {
		return
	}
	free.Lock()
	defer free.Unlock()
	total := len(b)
	for _, f := range free.blocks {
		total += len(f)
	}
	for total > maxFreeBlocks {
		total -= len(free.blocks[0])
		free.blocks[0] = nil
		free.blocks = free.blocks[1:]
	}
	free.blocks = append(free.blocks, b)
}
