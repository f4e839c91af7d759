package main

import (
	"fmt"
	"os"
	"strings"
	"time"
)

// several is the reloader with several Envoys watched (#14), beside one
// watched alone: its idle cost, and one Envoy's save → confirmed while the
// others are watched too (init delay 0). The lone Envoy runs beside, with a
// reloader of its own, measured over the same idle period and in the same
// rounds, alternating: the machine's load then weighs on both alike, which
// the row set's figures, taken minutes earlier, cannot promise.
type several struct {
	Envoys []string `json:"envoys"`
	Saved  string   `json:"saved_envoy"`
	// Alone is a reloader watching Saved only; All one watching every Envoy.
	Alone watched `json:"one_envoy_watched"`
	All   watched `json:"all_envoys_watched"`
}

// watched is one reloader's figures; its saved Envoy's save → confirmed
// medians are over results.runs saves each way.
type watched struct {
	IdleCPUSeconds   float64            `json:"idle_cpu_seconds"` // over results.idle_seconds
	IdleRSSMB        float64            `json:"idle_rss_mb"`
	ReloaderMedian   float64            `json:"reloader_median_ms"`
	ReloaderOverhead float64            `json:"reloader_overhead_median_ms"`
	ReloaderPhases   map[string]float64 `json:"reloader_phase_medians_ms"`
	RenameMedian     float64            `json:"reloader_rename_save_median_ms"`
	RenamePhases     map[string]float64 `json:"reloader_rename_save_phase_medians_ms"`
}

// measureSeveral starts one reloader watching a container per name and
// another watching one more container alone, measures both idle over the
// same period first (so that the peak RSS is the idle one), then saves the
// first Envoy's bootstrap under each, runs times each way, after a warm-up,
// alternating.
func measureSeveral(names []string, runs int, idle time.Duration) (several, error) {
	all, err := startFleet(0, names...)
	if err != nil {
		return several{}, err
	}
	defer all.stop()
	alone, err := startFleet(0, names[0])
	if err != nil {
		return several{}, err
	}
	defer alone.stop()
	s := several{Envoys: names, Saved: names[0]}
	fleets := []*fleet{alone, all}
	figs := []*watched{&s.Alone, &s.All}
	errs := make(chan error, len(fleets))
	for i, f := range fleets {
		go func() {
			var err error
			figs[i].IdleCPUSeconds, figs[i].IdleRSSMB, err = f.idleCost(idle)
			errs <- err
		}()
	}
	for range fleets {
		if e := <-errs; e != nil && err == nil {
			err = e
		}
	}
	if err != nil {
		return s, err
	}
	inPlace, renamed := make([][]float64, len(fleets)), make([][]float64, len(fleets))
	for i := -1; i < runs; i++ {
		for j, f := range fleets {
			b := f.envoys[0]
			d, err := b.viaReloader()
			if err != nil {
				return s, fmt.Errorf("%d Envoys watched, save in place: %w", len(f.envoys), err)
			}
			r, err := b.viaReloaderRename()
			if err != nil {
				return s, fmt.Errorf("%d Envoys watched, save by rename: %w", len(f.envoys), err)
			}
			if i < 0 {
				b.dropWarmUp()
				continue
			}
			inPlace[j] = append(inPlace[j], float64(d.Microseconds())/1000)
			renamed[j] = append(renamed[j], float64(r.Microseconds())/1000)
		}
		fmt.Fprintf(os.Stderr, "1 and %d Envoys watched: round %d of %d done\n", len(names), i+1, runs)
	}
	for j, f := range fleets {
		b, w := f.envoys[0], figs[j]
		w.ReloaderPhases, w.RenamePhases = map[string]float64{}, map[string]float64{}
		for k, v := range b.phases {
			w.ReloaderPhases[k] = median(v)
		}
		for k, v := range b.renamePhases {
			w.RenamePhases[k] = median(v)
		}
		w.ReloaderMedian, w.RenameMedian = median(inPlace[j]), median(renamed[j])
		w.ReloaderOverhead = median(b.overheads)
	}
	return s, nil
}

func printSeveral(r results) {
	one, s := r.RowSets[0], r.Several
	fmt.Printf("\n### %d Envoys watched by one reloader, beside one\n\n", len(s.Envoys))
	fmt.Printf("%d stand-in containers, one reloader.yaml with envoys: %s; only %s saved. Beside it, alternating, "+
		"one more stand-in watched alone by a reloader of its own; %d runs each way after a warm-up, start-up delay %d ms. "+
		"\"above\": the figures of the tables above, measured earlier.\n\n",
		len(s.Envoys), strings.Join(s.Envoys, ", "), s.Saved, r.Runs, one.InitDelayMs)
	fmt.Printf("| measure | 1 Envoy (above) | 1 Envoy, alongside | %d Envoys |\n|---|---|---|---|\n", len(s.Envoys))
	fmt.Printf("| idle `envoy-reloader watch`, %.0f s: CPU-seconds | %.3f | %.3f | %.3f |\n", r.IdleSeconds, r.IdleCPUSeconds, s.Alone.IdleCPUSeconds, s.All.IdleCPUSeconds)
	fmt.Printf("| idle peak RSS | %.1f MB | %.1f MB | %.1f MB |\n", r.IdleRSSMB, s.Alone.IdleRSSMB, s.All.IdleRSSMB)
	fmt.Printf("| save in place → confirmed, median | %s | %s | %s |\n", ms(one.ReloaderMedian), ms(s.Alone.ReloaderMedian), ms(s.All.ReloaderMedian))
	fmt.Printf("| overhead beyond debounce and the stand-in's start, median | %.1f ms | %.1f ms | %.1f ms |\n", one.ReloaderOverhead, s.Alone.ReloaderOverhead, s.All.ReloaderOverhead)
	fmt.Printf("| save by rename → confirmed, median | %s | %s | %s |\n", ms(one.RenameMedian), ms(s.Alone.RenameMedian), ms(s.All.RenameMedian))
	for _, k := range phaseKeys {
		fmt.Printf("| phase median %s: in place · by rename | %.1f · %.1f | %.1f · %.1f | %.1f · %.1f |\n", k,
			one.ReloaderPhases[k], one.RenamePhases[k], s.Alone.ReloaderPhases[k], s.Alone.RenamePhases[k], s.All.ReloaderPhases[k], s.All.RenamePhases[k])
	}
}
