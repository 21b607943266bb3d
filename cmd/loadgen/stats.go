package main

import (
	"math"
	"sync/atomic"
	"time"
)

// histogram records durations in buckets 2% wide, from histMin up, so any
// percentile it reports is within 2% of the true value. It takes millions of
// samples from many goroutines at once in fixed memory.
type histogram struct {
	counts [histBuckets]atomic.Int64
	n      atomic.Int64
	max    atomic.Int64 // nanoseconds
}

const (
	histMin     = 10 * time.Microsecond
	histGrowth  = 1.02
	histBuckets = 1000 // histMin * 1.02^1000 is about 4 days
)

var logGrowth = math.Log(histGrowth)

func (h *histogram) add(d time.Duration) {
	if d < 0 {
		d = 0
	}
	i := 0
	if d > histMin {
		i = min(int(math.Log(float64(d)/float64(histMin))/logGrowth)+1, histBuckets-1)
	}
	h.counts[i].Add(1)
	h.n.Add(1)
	for {
		m := h.max.Load()
		if int64(d) <= m || h.max.CompareAndSwap(m, int64(d)) {
			break
		}
	}
}

// quantile returns the upper bound of the bucket holding the q-th sample
// (0 < q <= 1), or 0 without samples.
func (h *histogram) quantile(q float64) time.Duration {
	n := h.n.Load()
	if n == 0 {
		return 0
	}
	rank := int64(math.Ceil(q * float64(n)))
	var seen int64
	for i := range h.counts {
		seen += h.counts[i].Load()
		if seen >= rank {
			if i == 0 {
				return histMin
			}
			return min(time.Duration(float64(histMin)*math.Pow(histGrowth, float64(i))), time.Duration(h.max.Load()))
		}
	}
	return time.Duration(h.max.Load())
}

func (h *histogram) count() int64 { return h.n.Load() }

func ms(d time.Duration) float64 { return math.Round(float64(d)/float64(time.Millisecond)*100) / 100 }
