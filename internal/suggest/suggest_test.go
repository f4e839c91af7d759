package suggest

import "testing"

func TestClosest(t *testing.T) {
	names := []string{"connect_timeout", "name", "type", "load_assignment", "lb_policy"}
	tests := []struct {
		in, want string
	}{
		{"connect_timout", "connect_timeout"},
		{"nmae", "name"},
		{"Load_Assignment", "load_assignment"},
		{"completely_unrelated", ""},
		{"x", ""},
	}
	for _, tt := range tests {
		if got := Closest(tt.in, names); got != tt.want {
			t.Errorf("Closest(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"abc", "", 3}, {"kitten", "sitting", 3}, {"flaw", "lawn", 2}, {"nmae", "name", 1},
	}
	for _, tt := range tests {
		if got := Distance(tt.a, tt.b); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
