package mysql

import "testing"

func TestInterpolation(t *testing.T) {
	cases := []struct {
		name string
		dsn  string
		want bool
	}{
		{"is on by default", "authd:pw@tcp(db:3306)/authd", true},
		{"is on with a utf8mb4 connection", "authd:pw@tcp(db:3306)/authd?charset=utf8mb4&parseTime=true", true},
		{"stays off when the operator switched it off", "authd:pw@tcp(db:3306)/authd?interpolateParams=false", false},
		{"stays off with a character set whose escaping is not exact", "authd:pw@tcp(db:3306)/authd?charset=sjis", false},
		{"stays off when any fallback character set is unsafe", "authd:pw@tcp(db:3306)/authd?charset=utf8mb4,gbk", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dc, err := driverConfig(c.dsn)
			if err != nil {
				t.Fatal(err)
			}
			if dc.InterpolateParams != c.want {
				t.Fatalf("InterpolateParams = %v, want %v", dc.InterpolateParams, c.want)
			}
		})
	}
	t.Run("keeps the operator's explicit choice on", func(t *testing.T) {
		dc, err := driverConfig("authd:pw@tcp(db:3306)/authd?interpolateParams=true")
		if err != nil || !dc.InterpolateParams {
			t.Fatalf("got %+v, %v", dc, err)
		}
	})
}
