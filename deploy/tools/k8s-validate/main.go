// k8s-validate checks rendered Kubernetes manifests (multi-document YAML, from files or stdin) against the API
// schemas of the Kubernetes release whose client libraries go.mod pins, offline:
//
//   - strict decoding into the API's Go types: an unknown, duplicate or mistyped field fails, quantities and
//     int-or-strings must parse, the kind must exist in that API version;
//   - the structured schema the API server applies to objects (client-go's applyconfigurations schema, the one
//     server-side apply validates against): every field known with its type, associative lists with unique keys.
//
// ServiceMonitor (prometheus-operator's CRD) is checked by strict decoding into its Go type only. A kind that is
// neither built in nor registered here fails: a chart that adds a kind adds it here too.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/managedfields"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/applyconfigurations"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"
)

func main() {
	inputs := os.Args[1:]
	if len(inputs) == 0 {
		inputs = []string{"-"}
	}
	s := runtime.NewScheme()
	must(scheme.AddToScheme(s))
	must(monitoringv1.AddToScheme(s))
	strict := serializer.NewCodecFactory(s, serializer.EnableStrict).UniversalDeserializer()
	types := applyconfigurations.NewTypeConverter(scheme.Scheme)

	checked, invalid := 0, 0
	for _, in := range inputs {
		data, err := read(in)
		must(err)
		docs := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
		for {
			doc, err := docs.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			must(err)
			if isEmpty(doc) {
				continue
			}
			checked++
			if name, err := validate(doc, strict, types); err != nil {
				invalid++
				fmt.Printf("INVALID %s (%s): %v\n", name, in, err)
			} else {
				fmt.Printf("valid   %s\n", name)
			}
		}
	}
	fmt.Printf("k8s-validate: %d objects, %d invalid\n", checked, invalid)
	if checked == 0 || invalid > 0 {
		os.Exit(1)
	}
}

func validate(doc []byte, strict runtime.Decoder, types managedfields.TypeConverter) (string, error) {
	js, err := yaml.YAMLToJSON(doc)
	if err != nil {
		return "?", err
	}
	obj := &unstructured.Unstructured{}
	if err := obj.UnmarshalJSON(js); err != nil {
		return "?", err
	}
	name := obj.GetAPIVersion() + " " + obj.GetKind() + "/" + obj.GetName()
	if obj.GetName() == "" {
		return name, errors.New("metadata.name is empty")
	}
	if _, _, err := strict.Decode(js, nil, nil); err != nil {
		return name, fmt.Errorf("strict decoding: %w", err)
	}
	if strings.HasSuffix(obj.GroupVersionKind().Group, "monitoring.coreos.com") {
		return name, nil // a CRD: no built-in structured schema
	}
	if _, err := types.ObjectToTyped(obj); err != nil {
		return name, fmt.Errorf("schema: %w", err)
	}
	return name, nil
}

func read(in string) ([]byte, error) {
	if in == "-" {
		return io.ReadAll(os.Stdin)
	}
	return os.ReadFile(in)
}

// isEmpty: helm renders templates that produce nothing as documents holding only a "# Source:" comment.
func isEmpty(doc []byte) bool {
	for _, line := range strings.Split(string(doc), "\n") {
		t := strings.TrimSpace(line)
		if t != "" && t != "---" && !strings.HasPrefix(t, "#") {
			return false
		}
	}
	return true
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "k8s-validate:", err)
		os.Exit(2)
	}
}
