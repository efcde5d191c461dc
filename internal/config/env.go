package config

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// envPrefix starts every foureyes environment variable.
const envPrefix = "FOUREYES"

// applyEnv sets every field whose variable is present in environ. The variable name is
// derived from the YAML path, so the file and the environment can never drift apart.
func applyEnv(c *Config, environ []string) error {
	env := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, envPrefix+"_") {
			env[k] = v
		}
	}
	if len(env) == 0 {
		return nil
	}
	if err := walkEnv(reflect.ValueOf(c).Elem(), envPrefix, env); err != nil {
		return err
	}
	for k := range env { // walkEnv removed every variable it used
		c.UnknownEnv = append(c.UnknownEnv, k)
	}
	sort.Strings(c.UnknownEnv)
	return nil
}

func walkEnv(v reflect.Value, prefix string, env map[string]string) error {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		fv := v.Field(i)
		if opts == "inline" {
			if err := walkEnv(fv, prefix, env); err != nil {
				return err
			}
			continue
		}
		if name == "" || name == "-" {
			continue
		}
		key := prefix + "_" + strings.ToUpper(name)
		if fv.Kind() == reflect.Struct {
			if err := walkEnv(fv, key, env); err != nil {
				return err
			}
			continue
		}
		raw, ok := env[key]
		if !ok {
			continue
		}
		delete(env, key)
		if err := setFromString(fv, raw); err != nil {
			return fmt.Errorf("environment %s: %w", key, err)
		}
	}
	return nil
}

func setFromString(fv reflect.Value, raw string) error {
	if d, ok := fv.Addr().Interface().(*Duration); ok {
		return d.set(raw)
	}
	switch fv.Kind() {
	case reflect.String:
		fv.SetString(raw)
	case reflect.Int, reflect.Int64:
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return fmt.Errorf("not an integer: %q", raw)
		}
		fv.SetInt(n)
	case reflect.Bool:
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return fmt.Errorf("not a boolean: %q", raw)
		}
		fv.SetBool(b)
	case reflect.Map: // "key=value,key=value", e.g. tickets.users
		if fv.Type().Key().Kind() != reflect.String || fv.Type().Elem().Kind() != reflect.String {
			return fmt.Errorf("unsupported map type %s", fv.Type())
		}
		m := map[string]string{}
		for _, item := range strings.Split(raw, ",") {
			if item = strings.TrimSpace(item); item == "" {
				continue
			}
			k, v, ok := strings.Cut(item, "=")
			if !ok || strings.TrimSpace(k) == "" {
				return fmt.Errorf("not key=value: %q", item)
			}
			m[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
		fv.Set(reflect.ValueOf(m))
	case reflect.Slice:
		var items []string
		for _, s := range strings.Split(raw, ",") {
			if s = strings.TrimSpace(s); s != "" {
				items = append(items, s)
			}
		}
		fv.Set(reflect.ValueOf(items))
	default:
		return fmt.Errorf("unsupported kind %s", fv.Kind())
	}
	return nil
}
