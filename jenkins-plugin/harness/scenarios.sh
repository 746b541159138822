#!/usr/bin/env bash
# More withTaskIdentity scenarios for the real-Jenkins harness in ../shared/jenkins-harness (run start.sh first):
# token exchange from the step, the lifetime running out (onExpiry fail / warn, no renewal hot loop), a job deleted
# while its block runs, an agent that dies mid-block and reconnects, the issuer down when a block ends, approval gates
# (G1 approved while the build waits, G2 denied, G3 aborted while waiting). Prints PASS/FAIL lines like the harness.
# Usage, from the project root: jenkins-plugin/harness/scenarios.sh   (HARNESS= where the harness scripts are)
set -uo pipefail
HARNESS="${HARNESS:-$(cd "$(dirname "$0")/../.." && pwd)/../shared/jenkins-harness}"
. "$HARNESS/lib.sh"
EV="$BASE/evidence/more-$(date +%Y%m%d-%H%M%S)"; mkdir -p "$EV"
T_START=$(date +%s)
CAPTURE='d="$CAPDIR/$JOB_NAME-$BUILD_NUMBER-$TASKBOUND_TASK_ID"; mkdir -p "$d"; cp "$TASKBOUND_SVID_DIR"/* "$d/"; echo "$TASKBOUND_SVID_DIR" > "$d/dir"'
job() { sed -e "s|@CAP@|$CAP|g" -e "s|@ISSUER@|$ISSUER_URL|g" -e "s|@CAPTURE@|$CAPTURE|g" | put_job "$1"; }
caps() { ls -d "$CAP/$1-$2-"* 2>/dev/null; }
task_of() { basename "$1" | sed 's/.*-\(tsk_.*\)/\1/'; }
wait_cap() { local d=""; for i in $(seq 1 240); do d=$(caps "$1" "$2" | head -1); [ -n "$d" ] && break; sleep 0.5; done; echo "$d"; }
wait_task_ended() {  # wait_task_ended TASK [seconds] -> prints the task's state/outcome once it is not active
  local s; for i in $(seq 1 $(( ${2:-120} * 2 ))); do
    s=$(task_show "$1" | jq -r '.state + "/" + (.outcome // "")'); [ "${s%%/*}" != active ] && { echo "$s"; return 0; }; sleep 0.5
  done; echo "$s"; return 1
}
agent_pid() { pgrep -f -- "-jar $BASE/war/WEB-INF/lib/remoting-" | head -1; }
connect_agent() {
  local r; r=$(ls "$BASE"/war/WEB-INF/lib/remoting-*.jar | head -1)
  J --data-urlencode "script=def c = jenkins.model.Jenkins.get().getNode('agent1').toComputer()
if (c.offline) {
  def p = new ProcessBuilder('java', '-Xmx256m', '-jar', '$r').redirectError(new File('$BASE/logs/agent1.err')).start()
  c.setChannel(p.inputStream, p.outputStream, new FileOutputStream('$BASE/logs/agent1-launch.log', true), null)
}
println 'agent1 online: ' + c.online" "${JENKINS_URL}scriptText"
}
want() { [ -z "${ONLY:-}" ] || [[ "$1" =~ $ONLY ]]; }   # ONLY=regex of scenario ids, e.g. ONLY="A1|F1"
echo "== more Taskbound scenarios (evidence in $EV)"

# ---------------------------------------------------------------- E1: exchange from the step, on the agent
if want "E1"; then
job tb-step-exchange <<'JOB'
node('agent') { withEnv(['CAPDIR=@CAP@']) {
  withTaskIdentity(audiences: ['sts.amazonaws.com'], exchange: ['sts.amazonaws.com', 'vault.example'],
                   awsRoleArn: 'arn:aws:iam::123456789012:role/deploy') {
    sh '''@CAPTURE@
      for v in AWS_WEB_IDENTITY_TOKEN_FILE TASKBOUND_DOWNSTREAM_STS_2EAMAZONAWS_2ECOM_FILE TASKBOUND_DOWNSTREAM_VAULT_2EEXAMPLE_FILE; do
        f=$(printenv $v); if [ -s "$f" ]; then echo "present $v"; else echo "MISSING $v"; fi
      done
      echo "role=$AWS_ROLE_ARN"
      echo "downstream: $(cat "$AWS_WEB_IDENTITY_TOKEN_FILE")"'''
  }
} }
JOB
N=$(start_build tb-step-exchange); R=$(wait_build tb-step-exchange "$N"); console tb-step-exchange "$N" > "$EV/tb-step-exchange.txt"
d=$(caps tb-step-exchange "$N" | head -1); C="$EV/tb-step-exchange.txt"
if [ "$R" = SUCCESS ] && [ -n "$d" ]; then
  t=$(task_of "$d"); sts=$(cat "$d/downstream.sts.amazonaws.com.token"); vault=$(cat "$d/downstream.vault.example.token")
  aud=$(echo "$sts" | cut -d. -f2 | base64 -d 2>/dev/null | jq -r '.aud' 2>/dev/null)
  i1=$(introspect "$sts" | jq -r .active); i2=$(introspect "$vault" | jq -r .active)
  dt=$(task_show "$t" | jq -c '[.credentials[] | select(.kind=="downstream-token") | .revoked_at != null]')
  miss=$(grep -c '^MISSING' "$C")
  [ "$miss" = 0 ] && grep -q 'role=arn:aws:iam::123456789012:role/deploy' "$C" && [ "$aud" = sts.amazonaws.com ] \
    && [ "$i1" = false ] && [ "$i2" = false ] && [ "$dt" = '[true,true]' ] && ! grep -qF "$sts" "$C" && grep -q 'downstream: \*\*\*\*' "$C" \
    && result PASS "E1 exchange from the step (agent)" "AWS_WEB_IDENTITY_TOKEN_FILE + 2 downstream files, aud=$aud, AWS_ROLE_ARN set; after end introspect sts=$i1 vault=$i2, revoked=$dt; masked" \
    || result FAIL "E1 exchange from the step (agent)" "missing=$miss aud=$aud introspect=$i1/$i2 revoked=$dt (see $C)"
else result FAIL "E1 exchange from the step (agent)" "result=$R (see $C)"; fi
fi

# ---------------------------------------------------------------- E2: declarative with exchange
if want "E2"; then
job tb-decl-exchange <<'JOB'
pipeline {
  agent { label 'agent' }
  environment { CAPDIR = '@CAP@' }
  stages { stage('Deploy') { steps {
    withTaskIdentity(exchange: ['vault.example']) {
      sh '''@CAPTURE@
        test -s "$TASKBOUND_DOWNSTREAM_VAULT_2EEXAMPLE_FILE" && echo vault-token-present'''
    }
  } } }
}
JOB
N=$(start_build tb-decl-exchange); R=$(wait_build tb-decl-exchange "$N"); console tb-decl-exchange "$N" > "$EV/tb-decl-exchange.txt"
d=$(caps tb-decl-exchange "$N" | head -1)
if [ "$R" = SUCCESS ] && [ -n "$d" ] && grep -q vault-token-present "$EV/tb-decl-exchange.txt"; then t=$(task_of "$d")
  i=$(introspect "$(cat "$d/downstream.vault.example.token")" | jq -r .active); st=$(task_show "$t" | jq -r '.state + "/" + .outcome')
  [ "$i" = false ] && [ "$st" = ended/succeeded ] && result PASS "E2 declarative exchange" "vault token present; after end: $st, introspect active=$i" \
    || result FAIL "E2 declarative exchange" "state=$st introspect=$i"
else result FAIL "E2 declarative exchange" "result=$R (see $EV/tb-decl-exchange.txt)"; fi
fi

# ---------------------------------------------------------------- X1/X2: the lifetime runs out (onExpiry fail / warn)
if want "X1|X2"; then
for mode in fail warn; do
  job "tb-expiry-$mode" <<JOB
node('agent') { withEnv(['CAPDIR=@CAP@']) {
  withTaskIdentity(audiences: ['sts.amazonaws.com'], ttl: '12s', onExpiry: '$mode') {
    sh '''@CAPTURE@'''
    sleep 30
    echo 'body-went-on-past-expiry'
  }
} }
JOB
  N=$(start_build "tb-expiry-$mode"); R=$(wait_build "tb-expiry-$mode" "$N" 120); C="$EV/tb-expiry-$mode.txt"; console "tb-expiry-$mode" "$N" > "$C"
  d=$(caps "tb-expiry-$mode" "$N" | head -1); t=$(task_of "$d"); st=$(wait_task_ended "$t" 30)
  fails=$(grep -c 'renewal of task .* failed' "$C"); warned=$(grep -c "lifetime ends at" "$C"); over=$(grep -c "lifetime ran out at" "$C")
  page=$(J "${JENKINS_URL}job/tb-expiry-$mode/$N/task-identities/" | grep -o '<td>expired</td>\|<td>failed</td>' | head -1)
  if [ "$mode" = fail ]; then
    [ "$R" = FAILURE ] && ! grep -q body-went-on-past-expiry "$C" && [ "$warned" -ge 1 ] && [ "$over" -ge 1 ] && [ "$fails" -le 2 ] && [ "${st%%/*}" = ended ] \
      && result PASS "X1 lifetime runs out, onExpiry fail" "build $R, block stopped, warned before ($warned) and at expiry ($over), $fails failed renewals, task $st, page $page" \
      || result FAIL "X1 lifetime runs out, onExpiry fail" "result=$R went-on=$(grep -c body-went-on-past-expiry "$C") warned=$warned over=$over failed-renewals=$fails task=$st (see $C)"
  else
    [ "$R" = SUCCESS ] && grep -q body-went-on-past-expiry "$C" && [ "$over" -ge 1 ] && [ "$fails" -le 2 ] && grep -q 'issuer had already ended task .* as expired' "$C" \
      && result PASS "X2 lifetime runs out, onExpiry warn" "build $R, block went on, warned at expiry, issuer outcome reported: $(grep -o 'issuer had already ended task [^ ]* as [a-z_]*' "$C"), page $page, $fails failed renewals" \
      || result FAIL "X2 lifetime runs out, onExpiry warn" "result=$R over=$over failed-renewals=$fails task=$st (see $C)"
  fi
done
r500=$(grep -c 'renew.*500\|status=500' "$BASE/logs/issuer.log"; true)
echo "   note: issuer log lines with a 500 on renew: $r500"
fi

# ---------------------------------------------------------------- D1: the job is deleted while its block runs
if want "D1"; then
job tb-delete <<'JOB'
node('agent') { withEnv(['CAPDIR=@CAP@']) {
  withTaskIdentity(audiences: ['sts.amazonaws.com']) { sh '''@CAPTURE@'''; sleep 120 }
} }
JOB
N=$(start_build tb-delete); d=$(wait_cap tb-delete "$N"); t=$(task_of "$d"); sleep 1
J -o /dev/null -w '%{http_code}' -X POST "${JENKINS_URL}job/tb-delete/doDelete" > "$EV/delete.code"
st=$(wait_task_ended "$t" 180); left=$(ls "$(cat "$d/dir")" 2>/dev/null | wc -l)
jwt_active=$(introspect "$(cat "$d/jwt_svid.token")" | jq -r .active)
[ "${st%%/*}" = ended ] && [ "$jwt_active" = false ] && [ "$left" = 0 ] \
  && result PASS "D1 job deleted mid-block" "delete -> HTTP $(cat "$EV/delete.code"); task $st, JWT introspects active=$jwt_active, agent dir gone" \
  || result FAIL "D1 job deleted mid-block" "task $st, JWT active=$jwt_active, files left=$left; registry: $(cat "$BASE/home/dev.taskbound.jenkins.TaskRegistry.xml" 2>/dev/null | grep -c '<taskId>')"
fi

# ---------------------------------------------------------------- A1: the agent dies mid-block, then comes back
if want "A1"; then
job tb-agent-dies <<'JOB'
node('agent') { withEnv(['CAPDIR=@CAP@']) {
  withTaskIdentity(audiences: ['sts.amazonaws.com']) { sh '''@CAPTURE@
    sleep 120''' }
} }
JOB
N=$(start_build tb-agent-dies); d=$(wait_cap tb-agent-dies "$N"); t=$(task_of "$d"); dir=$(cat "$d/dir"); sleep 1
kill -9 "$(agent_pid)"; sleep 3
# A permanent agent's build waits for it to come back; an admin stops it, as after any lost agent.
J -o /dev/null -X POST "${JENKINS_URL}job/tb-agent-dies/$N/stop"; R=$(wait_build tb-agent-dies "$N" 120)
[ "$R" = TIMEOUT ] && { J -o /dev/null -X POST "${JENKINS_URL}job/tb-agent-dies/$N/term"; R=$(wait_build tb-agent-dies "$N" 60); }
console tb-agent-dies "$N" > "$EV/tb-agent-dies.txt"
st=$(wait_task_ended "$t" 120); before=$( [ -e "$dir/svid_key.pem" ] && echo key-left || echo no-key)
connect_agent > "$EV/reconnect.txt"
for i in $(seq 1 60); do [ -e "$dir" ] || break; sleep 0.5; done
after=$( [ -e "$dir" ] && echo still-there || echo wiped)
[ "${st%%/*}" = ended ] && [ "$before" = key-left ] && [ "$after" = wiped ] \
  && result PASS "A1 agent dies mid-block, reconnects" "build $R; task $st; while offline: $before; after reconnect: dir $after ($(grep -o 'agent1 online: [a-z]*' "$EV/reconnect.txt"))" \
  || result FAIL "A1 agent dies mid-block, reconnects" "build $R; task $st; before=$before after=$after"
fi

# ---------------------------------------------------------------- P1: the issuer is down when the block ends
if want "P1"; then
job tb-issuer-down <<'JOB'
node('agent') { withEnv(['CAPDIR=@CAP@']) {
  withTaskIdentity(audiences: ['sts.amazonaws.com']) { sh '''@CAPTURE@
    sleep 8''' }
} }
JOB
I="$BASE/issuer"
N=$(start_build tb-issuer-down); d=$(wait_cap tb-issuer-down "$N"); t=$(task_of "$d")
kill "$(cat "$I/pid")"; for i in $(seq 1 30); do kill -0 "$(cat "$I/pid")" 2>/dev/null || break; sleep 0.5; done
R=$(wait_build tb-issuer-down "$N" 300); C="$EV/tb-issuer-down.txt"; console tb-issuer-down "$N" > "$C"
reg=$(grep -c "<taskId>$t</taskId>" "$BASE/home/dev.taskbound.jenkins.TaskRegistry.xml" 2>/dev/null)
(cd "$I" && export TASKBOUND_INTROSPECTION_TESTER && exec nohup java -Xmx512m -jar "$ISSUER_JAR" serve --config "$ISSUER_CONFIG" >> "$BASE/logs/issuer.log" 2>&1) &
echo $! > "$I/pid"
for i in $(seq 1 60); do curl -fsS "$ISSUER_URL/.well-known/openid-configuration" >/dev/null 2>&1 && break; sleep 1; done
st=$(wait_task_ended "$t" 150)
# The controller's retry (every minute) removes the record once the issuer answers. With the default 1-minute
# heartbeat the issuer's reaper may have ended the task `abandoned` first: either way it is ended, and the record goes.
after=1; for i in $(seq 1 180); do after=$(grep -c "<taskId>$t</taskId>" "$BASE/home/dev.taskbound.jenkins.TaskRegistry.xml" 2>/dev/null); [ "$after" = 0 ] && break; sleep 1; done
case "$st" in ended/succeeded|ended/abandoned) okst=1;; *) okst=0;; esac
[ "$R" = FAILURE ] && grep -q "could not be ended" "$C" && [ "$reg" = 1 ] && [ "$okst" = 1 ] && [ "$after" = 0 ] \
  && result PASS "P1 issuer down at end, controller ends it later" "build $R ('could not be ended'), recorded in the registry; issuer back -> task $st, the controller's retry removed the record" \
  || result FAIL "P1 issuer down at end, controller ends it later" "build $R, in registry before=$reg after=$after, task $st"
fi

# ---------------------------------------------------------------- F1: every page of the plugin renders
if want "F1"; then
codes=""
for u in "job/tb-step-exchange/lastSuccessfulBuild/task-identities/" "manage/configure" "job/tb-step-exchange/pipeline-syntax/" "taskbound/jwks"; do
  codes="$codes $u=$(J -o /dev/null -w '%{http_code}' "${JENKINS_URL}$u")"
done
sn=$(J --data-urlencode 'json={"stapler-class":"dev.taskbound.jenkins.WithTaskIdentityStep","$class":"dev.taskbound.jenkins.WithTaskIdentityStep","audiences":"","exchange":"sts.amazonaws.com","ttl":"","tokenVariable":"","awsRoleArn":"arn:aws:iam::1:role/r","onExpiry":"warn"}' \
     "${JENKINS_URL}job/tb-step-exchange/pipeline-syntax/generateSnippet")
echo "$codes" | grep -vq '=[^2]' && echo "$sn" | grep -q "exchange: \['sts.amazonaws.com'\]" && echo "$sn" | grep -q "onExpiry: 'warn'" \
  && result PASS "F1 pages render, snippet has exchange/onExpiry" "$codes; $(echo "$sn" | head -1 | cut -c1-110)" \
  || result FAIL "F1 pages render, snippet has exchange/onExpiry" "$codes; snippet: $(echo "$sn" | head -c 200)"
fi

# ---------------------------------------------------------------- G1-G3: approval gates (a rule with approval:)
if want "G1|G2|G3"; then
# Jobs named tb-approval-* match a rule that needs approval by release-managers (the first rule that matches decides).
POLICY="$BASE/issuer/policy.yaml"; cp "$POLICY" "$EV/policy.before.yaml"
python3 - "$POLICY" "$CONTROLLER_NAME" <<'PY'
import sys
path, controller = sys.argv[1:]
s = open(path).read()
if 'jenkins-approval' not in s:
    rule = ("  - name: jenkins-approval\n"
            "    when: ci.platform == 'jenkins' && ci.controller == '" + controller + "' && ci.job.startsWith('tb-approval')\n"
            "    spiffe_id: \"spiffe://{trust_domain}/ci/jenkins/{ci.controller}/job/{ci.job:path}/build/{ci.build_number}/step/{ci.flow_node_id}\"\n"
            "    max_ttl: 30m\n"
            "    audiences: [sts.amazonaws.com]\n"
            "    approval: {group: release-managers, timeout: 10m}\n")
    s = s.replace("rules:\n", "rules:\n" + rule, 1)
    open(path, "w").write(s)
PY
sleep 7   # the issuer reads the policy file every 5 s
issuer_cli() { (cd "$BASE/issuer" && java -jar "$ISSUER_JAR" "$@" --config "$ISSUER_CONFIG"); }
approval_of() {  # approval_of JOB N -> the apr_ id the console names, once the step waits
  local a=""; for i in $(seq 1 120); do
    a=$(console "$1" "$2" | sed -n 's/.*Taskbound: waiting for approval by release-managers: .*(request \(apr_[a-z2-7]*\),.*/\1/p' | head -1)
    [ -n "$a" ] && break; sleep 0.5
  done; echo "$a"
}
approval_show() { issuer_cli approvals list | grep "$1"; }
for g in G1 G2 G3; do
  want "$g" || continue
  job "tb-approval-$g" <<'JOB'
node('agent') { withEnv(['CAPDIR=@CAP@']) {
  withTaskIdentity(audiences: ['sts.amazonaws.com']) {
    sh '''@CAPTURE@
      echo "block ran as $TASKBOUND_SPIFFE_ID"'''
  }
} }
JOB
  N=$(start_build "tb-approval-$g"); a=$(approval_of "tb-approval-$g" "$N"); C="$EV/tb-approval-$g.txt"
  if [ -z "$a" ]; then console "tb-approval-$g" "$N" > "$C"; result FAIL "$g approval" "the console never said it waits (see $C)"; continue; fi
  sleep 2; running=$(J "${JENKINS_URL}job/tb-approval-$g/$N/api/json?tree=building" | jq -r .building)
  case $g in
    G1)
      out=$(issuer_cli approvals approve "$a" --as rita 2>/dev/null | grep -m1 "^apr_")
      R=$(wait_build "tb-approval-$g" "$N" 120); console "tb-approval-$g" "$N" > "$C"
      d=$(caps "tb-approval-$g" "$N" | head -1); t=$(task_of "$d"); st=$(wait_task_ended "$t" 30)
      ev=$(evidence_predicate "$t" | grep -o '"approval\.[a-z]*"' | sort -u | tr '\n' ' ')
      [ "$running" = true ] && [ "$R" = SUCCESS ] && grep -q "block ran as spiffe://.*/tb-approval-G1/" "$C" && [ "$st" = ended/succeeded ] \
        && result PASS "G1 approval: approved while the build waits" "console named $a, build waited; '$out'; block ran with the identity, task $t $st; evidence: $ev" \
        || result FAIL "G1 approval: approved while the build waits" "waiting=$running result=$R task=$t/$st out=$out (see $C)"
      ;;
    G2)
      out=$(issuer_cli approvals deny "$a" --as rita --reason "change freeze until Monday" 2>/dev/null | grep -m1 "^apr_")
      R=$(wait_build "tb-approval-$g" "$N" 120); console "tb-approval-$g" "$N" > "$C"
      caps_n=$(caps "tb-approval-$g" "$N" | wc -l)
      [ "$running" = true ] && [ "$R" = FAILURE ] && grep -q "approval denied by rita: change freeze until Monday" "$C" && [ "$caps_n" = 0 ] && ! grep -q "block ran as" "$C" \
        && result PASS "G2 approval: denied" "console named $a, build $R: '$(grep -o 'Taskbound: no task identity: .*' "$C" | head -1)'; block never ran" \
        || result FAIL "G2 approval: denied" "waiting=$running result=$R caps=$caps_n (see $C)"
      ;;
    G3)
      J -o /dev/null -X POST "${JENKINS_URL}job/tb-approval-$g/$N/stop"
      R=$(wait_build "tb-approval-$g" "$N" 120); console "tb-approval-$g" "$N" > "$C"
      state=""; for i in $(seq 1 40); do state=$(approval_show "$a" | awk '{print $2}'); [ "$state" = withdrawn ] && break; sleep 0.5; done
      caps_n=$(caps "tb-approval-$g" "$N" | wc -l); line=$(approval_show "$a")
      tasks_for=$(issuer_cli tasks list 2>/dev/null | grep -c "tb-approval-G3" || true)
      [ "$running" = true ] && [ "$R" = ABORTED ] && [ "$state" = withdrawn ] && [ "$caps_n" = 0 ] && [ "$tasks_for" = 0 ] \
        && result PASS "G3 approval: aborted while waiting" "build $R; request $a $state at the issuer; no task, block never ran" \
        || result FAIL "G3 approval: aborted while waiting" "waiting=$running result=$R state=$state tasks=$tasks_for line='$line' (see $C)"
      ;;
  esac
done
cp "$EV/policy.before.yaml" "$POLICY"
fi

echo "== $PASS passed, $FAIL failed in $(( $(date +%s) - T_START )) s; consoles under $EV"
