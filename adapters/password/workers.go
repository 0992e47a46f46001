package password

import "context"

// compute takes a hashing slot (bounding how many hashes hold their memory at
// once) and runs fn, the one CPU-heavy thing authd does; it gives up as
// unavailable when ctx ends before a slot is free.
func (h *Hasher) compute(ctx context.Context, fn func()) error {
	if err := h.acquire(ctx); err != nil {
		return err
	}
	defer h.release()
	fn()
	return nil
}
