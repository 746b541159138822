// Command gospiffecheck is an outside SPIFFE client for the tests of the taskbound Workload API: it fetches the
// X.509 context, a JWT-SVID and the bundles with go-spiffe, waits for a rotation, then for the end of the task,
// which must reach the watch as PermissionDenied (the spec's "no identity"), and asks once more for each document.
// It prints one line per observation; the Java test reads them.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spiffe/go-spiffe/v2/svid/jwtsvid"
	"github.com/spiffe/go-spiffe/v2/workloadapi"
	"google.golang.org/grpc/status"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: gospiffecheck unix:///path/to/socket AUDIENCE")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	client, err := workloadapi.New(ctx, workloadapi.WithAddr(os.Args[1]))
	if err != nil {
		fail("client", err)
	}
	defer client.Close()

	x509, err := client.FetchX509Context(ctx)
	if err != nil {
		fail("x509", err)
	}
	svid := x509.DefaultSVID()
	fmt.Printf("X509 %s %x\n", svid.ID, svid.Certificates[0].SerialNumber)
	if _, err := x509.Bundles.GetX509BundleForTrustDomain(svid.ID.TrustDomain()); err != nil {
		fail("x509 bundle", err)
	}

	jwt, err := client.FetchJWTSVID(ctx, jwtsvid.Params{Audience: os.Args[2]})
	if err != nil {
		fail("jwt", err)
	}
	bundles, err := client.FetchJWTBundles(ctx)
	if err != nil {
		fail("jwt bundles", err)
	}
	if _, err := jwtsvid.ParseAndValidate(jwt.Marshal(), bundles, []string{os.Args[2]}); err != nil {
		fail("jwt validate locally", err)
	}
	validated, err := client.ValidateJWTSVID(ctx, jwt.Marshal(), os.Args[2])
	if err != nil {
		fail("jwt validate by server", err)
	}
	fmt.Printf("JWT %s\n", validated.ID)
	os.Stdout.Sync()

	// Watch: the first update is the current state, the next is a rotation; the end of the task arrives as an
	// error (go-spiffe would retry after any error; the first one ends this watch).
	updates := 0
	watchCtx, stopWatch := context.WithCancel(ctx)
	watcher := watch{
		update: func(c *workloadapi.X509Context) {
			updates++
			if updates > 1 {
				fmt.Printf("ROTATED %x\n", c.DefaultSVID().Certificates[0].SerialNumber)
				os.Stdout.Sync()
			}
		},
		failure: func(err error) {
			fmt.Printf("WATCH-ERROR %s %v\n", status.Code(err), err)
			os.Stdout.Sync()
			stopWatch()
		},
	}
	_ = client.WatchX509Context(watchCtx, watcher)

	_, err = client.FetchX509Context(ctx)
	fmt.Printf("AFTER-END x509 %s\n", status.Code(err))
	_, err = client.FetchX509Bundles(ctx)
	fmt.Printf("AFTER-END x509-bundles %s\n", status.Code(err))
	_, err = client.FetchJWTBundles(ctx)
	fmt.Printf("AFTER-END jwt-bundles %s\n", status.Code(err))
	_, err = client.FetchJWTSVID(ctx, jwtsvid.Params{Audience: os.Args[2]})
	fmt.Printf("AFTER-END jwt %s\n", status.Code(err))
	fmt.Println("DONE")
}

type watch struct {
	update  func(*workloadapi.X509Context)
	failure func(error)
}

func (w watch) OnX509ContextUpdate(c *workloadapi.X509Context) { w.update(c) }
func (w watch) OnX509ContextWatchError(err error)              { w.failure(err) }

func fail(what string, err error) {
	fmt.Printf("FAIL %s: %v\n", what, err)
	os.Exit(1)
}
