// Command downstream is an example service of the product protected by authd's
// access tokens through authd/verifier: GET /api/v1/orders answers only with a
// token authd would accept, and names its caller from the verified claims.
package main
