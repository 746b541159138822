package dev.taskbound.issuer.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.taskbound.api.ApiJson;
import dev.taskbound.issuer.policy.InvalidPolicyException;
import dev.taskbound.issuer.policy.PolicyTestResult;
import dev.taskbound.issuer.policy.PolicyTester;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code taskbound-issuer policy …}: work with policy files offline. */
@Command(
    name = "policy",
    description = "Work with policy files offline.",
    subcommands = PolicyCommand.Test.class)
public final class PolicyCommand implements Runnable {
  /** Allowed. */
  public static final int EXIT_ALLOW = 0;
  /** Input that could not be used: a missing file, an invalid policy or context (also picocli's usage code). */
  public static final int EXIT_INVALID_INPUT = 2;
  /** Denied. */
  public static final int EXIT_DENY = 3;

  @Spec CommandSpec spec;

  @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
  boolean help;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "missing subcommand: test");
  }

  /** Prints one JSON decision for a context file; exit 0 allow, 3 deny, 2 invalid input. */
  @Command(
      name = "test",
      description = {
        "Decide one request offline and print the decision as one JSON object:",
        "{\"decision\", \"rule\", \"spiffe_id\", \"reason\", \"detail\", \"policy_version\"}.",
        "Exit 0 allow, 3 deny, 2 invalid input."
      })
  static final class Test implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Option(names = "--policy", required = true, paramLabel = "FILE", description = "Policy YAML file.")
    Path policy;

    @Option(
        names = "--context",
        required = true,
        paramLabel = "FILE",
        description = "JSON {platform, ci, claims, request: {audiences, ttl_seconds}}; see docs/policy.md.")
    Path context;

    @Option(
        names = "--trust-domain",
        defaultValue = "taskbound.test",
        paramLabel = "NAME",
        description = "Trust domain filled into {trust_domain} (default: ${DEFAULT-VALUE}).")
    String trustDomain;

    @Override
    public Integer call() {
      PolicyTestResult result;
      try {
        result = new PolicyTester(trustDomain).test(policy, context);
      } catch (IOException e) {
        return invalid("cannot read " + e.getMessage());
      } catch (InvalidPolicyException e) {
        return invalid("invalid policy: " + e.getMessage());
      } catch (IllegalArgumentException e) {
        return invalid(e.getMessage());
      }
      try {
        spec.commandLine().getOut().println(ApiJson.mapper().writeValueAsString(result));
      } catch (JsonProcessingException e) {
        throw new IllegalStateException("a decision always serialises", e);
      }
      spec.commandLine().getOut().flush();
      return result.allowed() ? EXIT_ALLOW : EXIT_DENY;
    }

    private int invalid(String message) {
      spec.commandLine().getErr().println("policy test: " + message);
      spec.commandLine().getErr().flush();
      return EXIT_INVALID_INPUT;
    }
  }
}
