package main

import (
	"encoding/json"
	"log"
	"net/http"
	"os"
	"strings"
	"time"

	"authd/verifier"
)

func main() {
	cfg := verifier.Config{
		JWKSURL:  env("AUTHD_JWKS_URL", "http://localhost:3000/.well-known/jwks.json"),
		Issuer:   env("AUTHD_ISSUER", "authd"),
		Audience: env("AUTHD_AUDIENCE", "authd"),
	}
	// Optional: honour logouts at once by reading authd's memcached denylist.
	if servers := os.Getenv("AUTHD_MEMCACHED_SERVERS"); servers != "" {
		cfg.Denylist = &verifier.MemcachedDenylist{Servers: strings.Split(servers, ","), Prefix: os.Getenv("AUTHD_MEMCACHED_PREFIX")}
	}
	v, err := verifier.New(cfg)
	if err != nil {
		log.Fatal(err)
	}

	mux := http.NewServeMux()
	mux.Handle("GET /api/v1/orders", v.Middleware(http.HandlerFunc(orders)))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, map[string]string{"status": "ok"}) })

	addr := env("ADDR", "127.0.0.1:8080")
	log.Printf("downstream listening on %s, verifying tokens of %s", addr, cfg.JWKSURL)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServe())
}

// orders answers for the caller the middleware verified.
func orders(w http.ResponseWriter, r *http.Request) {
	c, _ := verifier.ClaimsFrom(r.Context())
	writeJSON(w, map[string]any{"user": c.Subject, "email": c.Email, "role": c.Role, "orders": []string{}})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}

func env(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
