/**
 * The Taskbound Jenkins plugin: the {@code withTaskIdentity} step, its global configuration, the controller's
 * public JWKS at {@code JENKINS_URL/taskbound/jwks}, and the build page action. Glue only: the run statement, the
 * controller/agent split, masking and every issuer call live in the client core ({@code dev.taskbound.client}).
 */
package dev.taskbound.jenkins;
