package main

import (
	"fmt"
	"os"
	"strings"
	"time"
)

// several is the reloader with several Envoys watched (#14): its idle cost
// and one Envoy's save → confirmed while the others are watched too, shown
// beside the one-Envoy figures (init delay 0).
type several struct {
	Envoys           []string           `json:"envoys"`
	Saved            string             `json:"saved_envoy"`
	IdleCPUSeconds   float64            `json:"idle_cpu_seconds"` // over results.idle_seconds
	IdleRSSMB        float64            `json:"idle_rss_mb"`
	ReloaderMedian   float64            `json:"reloader_median_ms"`
	ReloaderOverhead float64            `json:"reloader_overhead_median_ms"`
	ReloaderPhases   map[string]float64 `json:"reloader_phase_medians_ms"`
	RenameMedian     float64            `json:"reloader_rename_save_median_ms"`
	RenamePhases     map[string]float64 `json:"reloader_rename_save_phase_medians_ms"`
}

// measureSeveral starts one container per name and one reloader watching
// them all, measures its idle cost first (so that the peak RSS is the idle
// one, as for one Envoy), then saves the first Envoy's bootstrap runs times
// each way, after a warm-up, alternating.
func measureSeveral(names []string, runs int, idle time.Duration) (several, error) {
	f, err := startFleet(0, names...)
	if err != nil {
		return several{}, err
	}
	defer f.stop()
	s := several{Envoys: names, Saved: names[0], ReloaderPhases: map[string]float64{}, RenamePhases: map[string]float64{}}
	if s.IdleCPUSeconds, s.IdleRSSMB, err = f.idleCost(idle); err != nil {
		return s, err
	}
	b := f.envoys[0]
	var inPlace, renamed []float64
	for i := -1; i < runs; i++ {
		d, err := b.viaReloader()
		if err != nil {
			return s, fmt.Errorf("%d Envoys watched, save in place: %w", len(names), err)
		}
		r, err := b.viaReloaderRename()
		if err != nil {
			return s, fmt.Errorf("%d Envoys watched, save by rename: %w", len(names), err)
		}
		if i >= 0 {
			inPlace = append(inPlace, float64(d.Microseconds())/1000)
			renamed = append(renamed, float64(r.Microseconds())/1000)
		}
		if i < 0 {
			b.dropWarmUp()
		}
		fmt.Fprintf(os.Stderr, "%d Envoys watched: round %d of %d done\n", len(names), i+1, runs)
	}
	for k, v := range b.phases {
		s.ReloaderPhases[k] = median(v)
	}
	for k, v := range b.renamePhases {
		s.RenamePhases[k] = median(v)
	}
	s.ReloaderMedian, s.RenameMedian = median(inPlace), median(renamed)
	s.ReloaderOverhead = median(b.overheads)
	return s, nil
}

func printSeveral(r results) {
	one, s := r.RowSets[0], r.Several
	fmt.Printf("\n### %d Envoys watched by one reloader, beside one\n\n", len(s.Envoys))
	fmt.Printf("%d stand-in containers, one reloader.yaml with envoys: %s; only %s saved, %d runs each way after a warm-up, start-up delay %d ms. 1 Envoy: the figures above.\n\n",
		len(s.Envoys), strings.Join(s.Envoys, ", "), s.Saved, r.Runs, one.InitDelayMs)
	fmt.Printf("| measure | 1 Envoy | %d Envoys |\n|---|---|---|\n", len(s.Envoys))
	fmt.Printf("| idle `envoy-reloader watch`, %.0f s: CPU-seconds | %.3f | %.3f |\n", r.IdleSeconds, r.IdleCPUSeconds, s.IdleCPUSeconds)
	fmt.Printf("| idle peak RSS | %.1f MB | %.1f MB |\n", r.IdleRSSMB, s.IdleRSSMB)
	fmt.Printf("| save in place → confirmed, median | %s | %s |\n", ms(one.ReloaderMedian), ms(s.ReloaderMedian))
	fmt.Printf("| overhead beyond debounce and the stand-in's start, median | %.1f ms | %.1f ms |\n", one.ReloaderOverhead, s.ReloaderOverhead)
	fmt.Printf("| save by rename → confirmed, median | %s | %s |\n", ms(one.RenameMedian), ms(s.RenameMedian))
	for _, k := range phaseKeys {
		fmt.Printf("| phase median %s: in place · by rename | %.1f · %.1f | %.1f · %.1f |\n", k,
			one.ReloaderPhases[k], one.RenamePhases[k], s.ReloaderPhases[k], s.RenamePhases[k])
	}
}
