// qmpcheck drives a QMP server through DigitalOcean's go-qemu client (Debian's
// golang-github-digitalocean-go-qemu-dev), so Ferry's QMP is checked by a client this project did
// not write, and prints the same fields of QEMU and Ferry side by side.
//
//	qmpcheck show SOCKET           the QEMU fields of query-status, query-migrate, query-block
//	qmpcheck migrate SOCKET URI [blk]  events on, limits set, migrate (with blk: the disks too), wait for the end
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/digitalocean/go-qemu/qmp"
	"github.com/digitalocean/go-qemu/qmp/raw"
)

// The fields a migration tool reads, as QEMU 7.2 names them.
var shown = map[string][]string{
	"query-status":  {"status", "running"},
	"query-migrate": {"status", "total-time", "downtime", "setup-time", "ram.transferred", "ram.remaining", "ram.total", "ram.mbps", "ram.dirty-sync-count", "disk.transferred", "disk.remaining", "disk.total"},
	"query-block":   {"0.device", "0.inserted.file", "0.inserted.drv", "0.inserted.ro", "0.inserted.image.virtual-size"},
}

func main() {
	if len(os.Args) < 3 {
		fail("usage: qmpcheck show SOCKET | migrate SOCKET URI [blk]")
	}
	mon, err := qmp.NewSocketMonitor("unix", os.Args[2], 10*time.Second)
	check(err)
	check(mon.Connect())
	defer mon.Disconnect()
	switch os.Args[1] {
	case "show":
		show(mon)
	case "migrate":
		migrate(mon, os.Args[3], len(os.Args) > 4 && os.Args[4] == "blk")
	default:
		fail("unknown mode " + os.Args[1])
	}
}

func show(mon *qmp.SocketMonitor) {
	for _, command := range []string{"query-status", "query-migrate", "query-block"} {
		out, err := mon.Run([]byte(`{"execute":"` + command + `"}`))
		check(err)
		var reply struct {
			Return interface{} `json:"return"`
		}
		check(json.Unmarshal(out, &reply))
		for _, path := range shown[command] {
			fmt.Printf("%s %s=%s\n", command, path, lookup(reply.Return, strings.Split(path, ".")))
		}
	}
	// The typed calls decode into go-qemu's own structs: a wrong type or enum word fails here.
	m := raw.NewMonitor(mon)
	status, err := m.QueryStatus()
	check(err)
	_, err = m.QueryMigrate()
	check(err)
	_, err = m.QueryBlock()
	check(err)
	fmt.Printf("typed status=%s\n", status.Status)
}

func lookup(value interface{}, path []string) string {
	for _, key := range path {
		switch v := value.(type) {
		case map[string]interface{}:
			next, ok := v[key]
			if !ok {
				return "<missing>"
			}
			value = next
		case []interface{}:
			var i int
			if _, err := fmt.Sscan(key, &i); err != nil || i >= len(v) {
				return "<missing>"
			}
			value = v[i]
		default:
			return "<missing>"
		}
	}
	text, _ := json.Marshal(value)
	return string(text)
}

func migrate(mon *qmp.SocketMonitor, uri string, blk bool) {
	m := raw.NewMonitor(mon)
	stream, err := mon.Events(nil)
	check(err)
	// go-qemu hands events over unbuffered: drain them aside, or a reply queued behind one stalls.
	events := make(chan qmp.Event, 64)
	go func() {
		for e := range stream {
			events <- e
		}
		close(events)
	}()
	check(m.MigrateSetCapabilities([]raw.MigrationCapabilityStatus{{Capability: raw.MigrationCapabilityEvents, State: true}}))
	bandwidth, downtime := int64(512<<20), int64(200)
	check(m.MigrateSetParameters(&raw.MigrateSetParameters{MaxBandwidth: &bandwidth, DowntimeLimit: &downtime}))
	params, err := m.QueryMigrateParameters()
	check(err)
	fmt.Printf("parameters max-bandwidth=%d downtime-limit=%d\n", *params.MaxBandwidth, *params.DowntimeLimit)
	if err := m.Migrate("carrier-pigeon:home", nil, nil, nil); err != nil {
		fmt.Printf("bad uri error=%v\n", err)
	}
	// QEMU reports the refused attempt as MIGRATION setup, failed: drop those before the real one.
	for drained := false; !drained; {
		select {
		case <-events:
		case <-time.After(300 * time.Millisecond):
			drained = true
		}
	}
	check(m.Migrate(uri, &blk, nil, nil))
	deadline := time.After(120 * time.Second)
	for {
		select {
		case e, ok := <-events:
			if !ok {
				fail("connection closed before the migration ended")
			}
			if e.Event != "MIGRATION" {
				fmt.Printf("event %s\n", e.Event)
				continue
			}
			status := fmt.Sprint(e.Data["status"])
			fmt.Printf("event MIGRATION status=%s\n", status)
			if status == "completed" || status == "failed" || status == "cancelled" {
				info, err := m.QueryMigrate()
				check(err)
				fmt.Printf("query-migrate status=%s\n", *info.Status)
				if info.Disk != nil {
					fmt.Printf("query-migrate disk.total=%d disk.remaining=%d\n", info.Disk.Total, info.Disk.Remaining)
				}
				stop := time.After(2 * time.Second)
				for {
					select {
					case e := <-events:
						fmt.Printf("event %s\n", e.Event)
					case <-stop:
						return
					}
				}
			}
		case <-deadline:
			fail("no end of migration in 120 s")
		}
	}
}

func check(err error) {
	if err != nil {
		fail(err.Error())
	}
}

func fail(message string) {
	fmt.Fprintln(os.Stderr, "qmpcheck: "+message)
	os.Exit(1)
}
