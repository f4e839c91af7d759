package bootstrap

import (
	"cmp"
	"fmt"
	"slices"
)

// Severity says whether a diagnostic makes the bootstrap invalid.
type Severity string

const (
	// SeverityError marks a problem Envoy would reject the bootstrap for.
	SeverityError Severity = "error"
	// SeverityWarning marks a problem worth knowing that does not block a reload.
	SeverityWarning Severity = "warning"
	// SeverityNote marks a form Envoy accepts that is not canonical; only
	// reported with Options.Strict.
	SeverityNote Severity = "note"
)

// Diagnostic is one problem found in a bootstrap, placed at the YAML node it
// is about. Its JSON form is part of the CLI's stable output.
type Diagnostic struct {
	File     string   `json:"file"`
	Line     int      `json:"line"`
	Col      int      `json:"col"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
	// Path is the field path in proto names, e.g.
	// static_resources.clusters[2].load_assignment; empty for YAML syntax errors.
	Path string `json:"path,omitempty"`
	// Semantic marks problems that only appear when Envoy builds its
	// clusters and listeners, after it has parsed and validated the protos.
	Semantic bool `json:"-"`
	// Deprecated marks warnings about deprecated fields and enum values,
	// which Options.DenyDeprecated turns into errors.
	Deprecated bool `json:"-"`
}

// String renders the diagnostic as FILE:LINE:COL: severity: message, the form
// editors and terminals turn into a clickable location.
func (d Diagnostic) String() string {
	return fmt.Sprintf("%s:%d:%d: %s: %s", d.File, d.Line, d.Col, d.Severity, d.Message)
}

// SortDiagnostics orders diagnostics by file, then position, then message, so
// that output is stable whatever order the checks ran in.
func SortDiagnostics(ds []Diagnostic) {
	slices.SortStableFunc(ds, func(a, b Diagnostic) int {
		return cmp.Or(
			cmp.Compare(a.File, b.File),
			cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Col, b.Col),
			cmp.Compare(a.Message, b.Message),
		)
	})
}

// Count counts the errors and the warnings (every other severity) in ds.
func Count(ds []Diagnostic) (errors, warnings int) {
	for _, d := range ds {
		if d.Severity == SeverityError {
			errors++
		} else {
			warnings++
		}
	}
	return errors, warnings
}

// HasErrors reports whether any diagnostic is an error.
func HasErrors(ds []Diagnostic) bool {
	return slices.ContainsFunc(ds, func(d Diagnostic) bool { return d.Severity == SeverityError })
}
