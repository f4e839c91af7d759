package main

import "testing"

func TestScan(t *testing.T) {
	src := `syntax = "proto3";
package envoy.config.demo.v3;

message Outer {
  message Inner {
    // Old knob.
    // Deprecated in favor of :ref:` + "`new_knob <envoy_v3_api_field_config.demo.v3.Outer.Inner.new_knob>`" + `.
    string old_knob = 1 [deprecated = true];

    string new_knob = 2 [(validate.rules).string = {min_len: 1}];
  }

  enum Mode {
    DEFAULT = 0;
    // Please use ` + "``MODERN``" + ` instead.
    LEGACY = 1 [deprecated = true, (envoy.annotations.deprecated_at_minor_version_enum) = "3.0"];
    MODERN = 2;
  }

  oneof choice {
    // Nothing to say.
    Inner a = 3 [
      deprecated = true,
      (envoy.annotations.deprecated_at_minor_version) = "3.0"
    ];
  }

  int32 kept = 4;
}
`
	got := scan(src)
	want := map[string]string{
		"envoy.config.demo.v3.Outer.Inner.old_knob": "Deprecated in favor of new_knob.",
		"envoy.config.demo.v3.Outer.Mode.LEGACY":    "Please use MODERN instead.",
		"envoy.config.demo.v3.Outer.a":              "",
	}
	if len(got) != len(want) {
		t.Errorf("got %d entries %v, want %d", len(got), got, len(want))
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s: got %q (present %t), want %q", k, g, ok, v)
		}
	}
}

func TestScanSkipsV2(t *testing.T) {
	if got := scan("package envoy.api.v2;\nmessage M {\n  string f = 1 [deprecated = true];\n}\n"); len(got) != 0 {
		t.Errorf("v2 package scanned: %v", got)
	}
}
