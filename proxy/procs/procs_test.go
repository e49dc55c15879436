package procs

import (
	"slices"
	"sync"
	"testing"
)

// recorder stands in for runtime.GOMAXPROCS.
type recorder struct {
	mu   sync.Mutex
	sets []int
}

func (r *recorder) set(n int) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sets = append(r.sets, n)
	return 0
}

func TestScalerFollowsTransfers(t *testing.T) {
	tests := []struct {
		name  string
		max   int
		steps string // b: begin a transfer, w: begin wide work, e: end the oldest still open
		want  []int  // the GOMAXPROCS values set, in order
	}{
		{"idle keeps every P", 4, "", nil},
		{"one transfer runs on one", 4, "be", []int{1, 4}},
		{"grows and shrinks with transfers", 4, "bbbeee", []int{1, 2, 3, 2, 1, 4}},
		{"never past the start", 2, "bbbbeeee", []int{1, 2, 1, 2}},
		{"wide work alone keeps every P", 4, "we", nil},
		{"wide work beside a transfer takes every P", 4, "bwbee", []int{1, 4, 1}},
		{"transfers outlasting wide work", 4, "wbbeee", []int{2, 1, 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &recorder{}
			s := newScaler(tt.max, r.set)
			var ends []func()
			for _, st := range tt.steps {
				switch st {
				case 'b':
					ends = append(ends, s.Begin())
				case 'w':
					ends = append(ends, s.BeginWide())
				default:
					ends[0]()
					ends[0]() // a second end changes nothing
					ends = ends[1:]
				}
			}
			if !slices.Equal(r.sets, tt.want) {
				t.Fatalf("GOMAXPROCS set to %v, want %v", r.sets, tt.want)
			}
		})
	}
}

func TestScalerNil(t *testing.T) {
	if s := newScaler(1, func(int) int { t.Fatal("set called with one P"); return 0 }); s != nil {
		t.Fatalf("newScaler(1) = %v, want nil", s)
	}
	var s *Scaler
	s.Begin()() // a nil Scaler counts nothing and does not panic
	s.BeginWide()()
}

func TestScalerConcurrent(t *testing.T) {
	r := &recorder{}
	s := newScaler(8, r.set)
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			for range 100 {
				s.Begin()()
			}
		})
	}
	wg.Wait()
	if got := r.sets[len(r.sets)-1]; got != 8 {
		t.Fatalf("after every transfer ended GOMAXPROCS = %d, want all 8 again", got)
	}
}
