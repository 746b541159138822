package dev.taskbound.client.jenkins;

import java.util.List;

/**
 * The facts of one pipeline step a controller vouches for, as the claims of a Jenkins run statement carry them.
 * Optional facts are null (or an empty list), never blank: the issuer's policy sees an absent key, not {@code ""}.
 *
 * @param job the job's full name ({@code folder/sub/job})
 * @param buildUrl absolute URL of the build; null when the controller's root URL is not configured
 * @param flowNodeId the id of the step's flow node
 * @param node the agent the step runs on ({@code built-in} for the controller); null when the step has no node
 * @param triggeringUser id of the user who started the build, when there is one
 * @param scm the checked-out revision, when known
 */
public record RunStatement(
    String job,
    long buildNumber,
    String buildUrl,
    String flowNodeId,
    String node,
    List<Cause> causes,
    String triggeringUser,
    Scm scm) {

  public RunStatement {
    job = required(job, "job");
    flowNodeId = required(flowNodeId, "flowNodeId");
    if (buildNumber < 1) {
      throw new IllegalArgumentException("buildNumber must be positive, not " + buildNumber);
    }
    buildUrl = optional(buildUrl);
    node = optional(node);
    triggeringUser = optional(triggeringUser);
    causes = causes == null ? List.of() : List.copyOf(causes);
  }

  /** One cause of the build: its simple class name ({@code UserIdCause}) and, for user causes, the user id. */
  public record Cause(String type, String userId) {
    public Cause {
      type = required(type, "cause type");
      userId = optional(userId);
    }
  }

  /** The revision the build checked out; {@code url} and {@code branch} optional. */
  public record Scm(String revision, String url, String branch) {
    public Scm {
      revision = required(revision, "scm revision");
      url = optional(url);
      branch = optional(branch);
    }
  }

  private static String required(String value, String name) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(name + " is required");
    }
    return value;
  }

  private static String optional(String value) {
    return value == null || value.isBlank() ? null : value;
  }
}
