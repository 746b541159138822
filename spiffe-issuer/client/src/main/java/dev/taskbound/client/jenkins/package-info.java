/**
 * What the Jenkins plugin needs that is not Jenkins API: the run statement of {@code docs/jenkins-run-statement.md}
 * ({@link dev.taskbound.client.jenkins.RunStatement}), the controller's signing key
 * ({@link dev.taskbound.client.jenkins.ControllerKey}) and the signer that binds the two
 * ({@link dev.taskbound.client.jenkins.RunStatementSigner}). Tested here, against real issuers, so the plugin stays
 * glue.
 */
package dev.taskbound.client.jenkins;
