package dev.taskbound.cli;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** Downstream tokens to exchange for at begin; shared by {@code run} and {@code begin}. */
final class ExchangeOptions {
  @Option(names = "--exchange", paramLabel = "AUD",
      description = "Exchange the JWT-SVID for a downstream token for AUD (repeatable): file in $TASKBOUND_DOWNSTREAM_<AUD>_FILE "
          + "(sts.amazonaws.com: also $AWS_WEB_IDENTITY_TOKEN_FILE); revoked at the end.")
  List<String> audiences = new ArrayList<>();

  @Option(names = "--aws-role-arn", paramLabel = "ARN", description = "Set AWS_ROLE_ARN too (with --exchange sts.amazonaws.com).")
  String awsRoleArn;
}
