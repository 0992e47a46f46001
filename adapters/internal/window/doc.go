// Package window is the bucket arithmetic that the abuse-counter stores share
// (in-process and memcached), so that a sliding window means the same thing on
// every store: a window is cut into fixed buckets of whole seconds, an event
// counts in the bucket of its time, and it stops counting when its bucket falls
// out of the window — never before the window's length has passed, at most one
// bucket later. Bucket boundaries are fixed multiples of the width since the
// Unix epoch, so every instance agrees on them.
package window
