# Pinned Go tools for the chart checks, built from the Go module proxy once and cached under ~/.cache/taskbound/tools
# (never committed). Source this file, then call tool_helm / tool_k8s_validate: each prints the binary's path.
HELM_VERSION=v3.19.0
TOOLS_CACHE="${TASKBOUND_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/taskbound}/tools"

_require_go() {
  command -v go >/dev/null || { echo "tools: Go is needed to build helm and k8s-validate (the Go toolchain, 1.24+)" >&2; return 1; }
}

tool_helm() {
  local bin="$TOOLS_CACHE/helm-$HELM_VERSION/helm"
  if [ ! -x "$bin" ]; then
    _require_go || return 1
    echo "tools: building helm $HELM_VERSION (once; cached in $TOOLS_CACHE)" >&2
    GOBIN="$(dirname "$bin")" GOFLAGS=-buildvcs=false go install \
      -ldflags "-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" >&2
  fi
  echo "$bin"
}

# deploy/tools/k8s-validate: its go.mod/go.sum pin the Kubernetes API version (the same k8s.io modules as helm's, so
# the Go build cache shares their compiled packages); rebuilt when go.mod, go.sum or main.go change.
tool_k8s_validate() {
  local src key bin
  src="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/deploy/tools/k8s-validate"
  key=$(cat "$src/go.mod" "$src/go.sum" "$src/main.go" | sha256sum | cut -c1-12)
  bin="$TOOLS_CACHE/k8s-validate-$key/k8s-validate"
  if [ ! -x "$bin" ]; then
    _require_go || return 1
    echo "tools: building k8s-validate (once; cached in $TOOLS_CACHE)" >&2
    mkdir -p "$(dirname "$bin")"
    (cd "$src" && GOFLAGS=-buildvcs=false go build -o "$bin" .) >&2
  fi
  echo "$bin"
}
