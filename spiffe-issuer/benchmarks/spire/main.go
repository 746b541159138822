// Command spireload drives a local SPIRE server's SVID API (MintX509SVID, and MintX509SVID + MintJWTSVID) over its
// Unix-domain admin socket with N concurrent clients for a fixed window, and prints ops/s, p50/p99 latency of one op
// and the server's CPU time per op, in the shape of Taskbound's LifecycleLoad. A benchmark, never a test.
package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"flag"
	"fmt"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	svidv1 "github.com/spiffe/spire-api-sdk/proto/spire/api/server/svid/v1"
	"github.com/spiffe/spire-api-sdk/proto/spire/api/types"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

type result struct {
	mode     string
	clients  int
	ops      float64
	p50, p99 float64
	cpuMsOp  float64
	// this load client's own CPU per op: what it took from the cores the server shares
	clientCPUMsOp float64
}

func main() {
	socket := flag.String("socket", "", "SPIRE server API socket (Unix domain)")
	td := flag.String("trust-domain", "example.org", "trust domain")
	seconds := flag.Int("seconds", 10, "seconds per timed window")
	clientsFlag := flag.String("clients", "1,8,64", "client counts")
	modesFlag := flag.String("modes", "x509,x509+jwt", "modes: x509, x509+jwt")
	rounds := flag.Int("rounds", 1, "rounds")
	warmup := flag.Int("warmup", 8, "warm-up seconds (x509+jwt, 8 clients); 0 for none")
	pid := flag.Int("server-pid", 0, "server pid, for CPU time per op from /proc/PID/stat (0: not measured)")
	flag.Parse()
	if *socket == "" {
		fmt.Fprintln(os.Stderr, "--socket is required")
		os.Exit(2)
	}
	var clients []int
	for _, c := range strings.Split(*clientsFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(c))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "bad --clients %q\n", *clientsFlag)
			os.Exit(2)
		}
		clients = append(clients, n)
	}
	modes := strings.Split(*modesFlag, ",")
	for _, m := range modes {
		if m != "x509" && m != "x509+jwt" {
			fmt.Fprintf(os.Stderr, "bad mode %q\n", m)
			os.Exit(2)
		}
	}

	// Everything a request carries is made before any timed window: one P-256 key and CSR per client slot.
	maxClients := 0
	for _, c := range clients {
		maxClients = max(maxClients, c)
	}
	maxClients = max(maxClients, 8)
	reqs := make([]*svidv1.MintX509SVIDRequest, maxClients)
	jwts := make([]*svidv1.MintJWTSVIDRequest, maxClients)
	for i := range reqs {
		path := fmt.Sprintf("/bench/client-%d", i)
		csr, err := makeCSR("spiffe://" + *td + path)
		check(err)
		reqs[i] = &svidv1.MintX509SVIDRequest{Csr: csr, Ttl: 3600}
		jwts[i] = &svidv1.MintJWTSVIDRequest{
			Id:       &types.SPIFFEID{TrustDomain: *td, Path: path},
			Audience: []string{"bench-audience"},
			Ttl:      600,
		}
	}
	conns := make([]*grpc.ClientConn, maxClients)
	svcs := make([]svidv1.SVIDClient, maxClients)
	for i := range conns {
		conn, err := grpc.NewClient("unix://"+*socket, grpc.WithTransportCredentials(insecure.NewCredentials()))
		check(err)
		conns[i] = conn
		svcs[i] = svidv1.NewSVIDClient(conn)
		// One call per connection before any window, so connection set-up is not timed and errors show early.
		check(op("x509", svcs[i], reqs[i], jwts[i]))
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()

	fmt.Printf("spire server socket %s (pid %d), trust domain %s, %d s per run, %d round(s)\n", *socket, *pid, *td, *seconds, *rounds)
	if *warmup > 0 {
		run("x509+jwt", 8, time.Duration(*warmup)*time.Second, svcs, reqs, jwts, *pid)
	}
	fmt.Printf("%-9s %-7s %10s %9s %9s %12s %16s\n", "mode", "clients", "ops/s", "p50 ms", "p99 ms", "cpu ms/op", "client cpu ms/op")
	for r := 0; r < *rounds; r++ {
		for _, m := range modes {
			for _, c := range clients {
				res := run(m, c, time.Duration(*seconds)*time.Second, svcs, reqs, jwts, *pid)
				fmt.Printf("%-9s %-7d %10.0f %9.2f %9.2f %12.3f %16.3f\n", res.mode, res.clients, res.ops, res.p50, res.p99, res.cpuMsOp, res.clientCPUMsOp)
			}
		}
	}
}

func op(mode string, svc svidv1.SVIDClient, x *svidv1.MintX509SVIDRequest, j *svidv1.MintJWTSVIDRequest) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := svc.MintX509SVID(ctx, x)
	if err != nil {
		return fmt.Errorf("MintX509SVID: %w", err)
	}
	if resp.GetSvid() == nil || len(resp.GetSvid().GetCertChain()) == 0 {
		return fmt.Errorf("MintX509SVID: empty SVID")
	}
	if mode == "x509+jwt" {
		jr, err := svc.MintJWTSVID(ctx, j)
		if err != nil {
			return fmt.Errorf("MintJWTSVID: %w", err)
		}
		if jr.GetSvid().GetToken() == "" {
			return fmt.Errorf("MintJWTSVID: empty token")
		}
	}
	return nil
}

func run(mode string, clients int, window time.Duration, svcs []svidv1.SVIDClient, reqs []*svidv1.MintX509SVIDRequest,
	jwts []*svidv1.MintJWTSVIDRequest, pid int) result {
	var stop atomic.Bool
	var failed atomic.Value
	lat := make([][]time.Duration, clients)
	var wg sync.WaitGroup
	cpu0 := cpuTicks(pid)
	self0 := cpuTicks(os.Getpid())
	start := time.Now()
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			l := make([]time.Duration, 0, 1<<14)
			for !stop.Load() {
				t0 := time.Now()
				if err := op(mode, svcs[i], reqs[i], jwts[i]); err != nil {
					failed.Store(err)
					stop.Store(true)
					break
				}
				l = append(l, time.Since(t0))
			}
			lat[i] = l
		}(i)
	}
	time.Sleep(window)
	stop.Store(true)
	wg.Wait()
	elapsed := time.Since(start)
	cpu1 := cpuTicks(pid)
	self1 := cpuTicks(os.Getpid())
	if err, ok := failed.Load().(error); ok {
		fmt.Fprintf(os.Stderr, "%s with %d clients failed: %v\n", mode, clients, err)
		os.Exit(1)
	}
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	sort.Slice(all, func(a, b int) bool { return all[a] < all[b] })
	n := len(all)
	res := result{mode: mode, clients: clients, ops: float64(n) / elapsed.Seconds()}
	if n > 0 {
		res.p50 = ms(all[n*50/100])
		res.p99 = ms(all[min(n-1, n*99/100)])
		if pid > 0 && cpu0 >= 0 && cpu1 >= 0 {
			res.cpuMsOp = float64(cpu1-cpu0) * 10.0 / float64(n) // USER_HZ = 100 on Linux
		}
		if self0 >= 0 && self1 >= 0 {
			res.clientCPUMsOp = float64(self1-self0) * 10.0 / float64(n)
		}
	}
	return res
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// cpuTicks is utime + stime of pid in clock ticks, or -1.
func cpuTicks(pid int) int64 {
	if pid <= 0 {
		return -1
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return -1
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:]) // fields from 3 (state) on
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return -1
	}
	return ut + st
}

func makeCSR(id string) ([]byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(id)
	if err != nil {
		return nil, err
	}
	return x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{URIs: []*url.URL{u}}, key)
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
