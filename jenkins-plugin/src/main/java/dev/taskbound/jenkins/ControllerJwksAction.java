package dev.taskbound.jenkins;

import hudson.Extension;
import hudson.model.UnprotectedRootAction;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.kohsuke.stapler.StaplerResponse2;
import org.kohsuke.stapler.verb.GET;

/**
 * {@code JENKINS_URL/taskbound/jwks}: the controller's public signing key as a JWKS, readable without logging in
 * so the issuer can fetch it ({@code taskbound-issuer controllers add NAME --jwks-url …}). Public keys only.
 */
@Extension
public class ControllerJwksAction implements UnprotectedRootAction {
  @Override
  public String getIconFileName() {
    return null;
  }

  @Override
  public String getDisplayName() {
    return "Taskbound controller keys";
  }

  @Override
  public String getUrlName() {
    return "taskbound";
  }

  @GET
  public void doJwks(StaplerResponse2 rsp) throws IOException {
    byte[] body = TaskboundConfiguration.get().controllerKey().publicJwksJson().getBytes(StandardCharsets.UTF_8);
    rsp.setContentType("application/jwk-set+json;charset=UTF-8");
    rsp.setHeader("Cache-Control", "public, max-age=300");
    rsp.setContentLength(body.length);
    rsp.getOutputStream().write(body);
  }
}
