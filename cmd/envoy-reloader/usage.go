package main

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// pflag (since v1.1.0) prints a boolean flag as --dry-run[=true|false], which
// Go CLIs do not usually show: --dry-run alone turns it on. flagUsages prints
// the flags as pflag does, except that each boolean flag is shown bare.
func init() {
	cobra.AddTemplateFunc("flagUsages", flagUsages)
}

// usageTemplate is cobra's usage template with its two flag lists printed by
// flagUsages.
func usageTemplate(cobraTemplate string) string {
	t := strings.ReplaceAll(cobraTemplate, "{{.LocalFlags.FlagUsages", "{{flagUsages .LocalFlags")
	return strings.ReplaceAll(t, "{{.InheritedFlags.FlagUsages", "{{flagUsages .InheritedFlags")
}

// flagUsages is fs.FlagUsages() with every boolean flag as --name: pflag adds
// [=true|false] to a flag whose value says it is a bool flag (IsBoolFlag),
// and prints nothing extra for a bool whose NoOptDefVal is "true". A copy of
// each boolean flag is printed whose value hides IsBoolFlag, keeping that
// NoOptDefVal; parsing is untouched, since only the copy changes.
func flagUsages(fs *pflag.FlagSet) string {
	shown := pflag.NewFlagSet(fs.Name(), pflag.ContinueOnError)
	shown.SortFlags = fs.SortFlags
	fs.VisitAll(func(f *pflag.Flag) {
		c := *f
		if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && bf.IsBoolFlag() && f.Value.Type() == "bool" {
			c.Value = plainBool{f.Value}
			if c.NoOptDefVal == "" {
				c.NoOptDefVal = "true"
			}
		}
		shown.AddFlag(&c)
	})
	return shown.FlagUsages()
}

// plainBool is a bool flag's value without its IsBoolFlag method.
type plainBool struct{ v pflag.Value }

func (b plainBool) String() string     { return b.v.String() }
func (b plainBool) Set(s string) error { return b.v.Set(s) }
func (b plainBool) Type() string       { return "bool" }
