package dev.taskbound.jenkins;

import com.cloudbees.plugins.credentials.CredentialsMatchers;
import com.cloudbees.plugins.credentials.CredentialsProvider;
import com.cloudbees.plugins.credentials.common.StandardListBoxModel;
import dev.taskbound.client.IssuerClient;
import dev.taskbound.client.IssuerTls;
import dev.taskbound.client.StepIdentity;
import dev.taskbound.client.jenkins.ControllerKey;
import dev.taskbound.client.jenkins.RunStatementSigner;
import edu.umd.cs.findbugs.annotations.CheckForNull;
import edu.umd.cs.findbugs.annotations.NonNull;
import hudson.AbortException;
import hudson.Extension;
import hudson.ExtensionList;
import hudson.Util;
import hudson.security.ACL;
import hudson.util.FormValidation;
import hudson.util.ListBoxModel;
import hudson.util.Secret;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.Collections;
import java.util.Locale;
import jenkins.model.GlobalConfiguration;
import jenkins.model.Jenkins;
import org.jenkinsci.Symbol;
import org.jenkinsci.plugins.plaincredentials.StringCredentials;
import org.kohsuke.stapler.DataBoundSetter;
import org.kohsuke.stapler.QueryParameter;
import org.kohsuke.stapler.verb.POST;

/**
 * Where the issuer is and how this controller signs its run statements. Configured on the system page or with
 * JCasC ({@code unclassified: taskbound: {issuerUrl: …, controllerName: …}}). The signing key is plugin-managed
 * (generated once, stored encrypted, its public JWKS served at {@code JENKINS_URL/taskbound/jwks}) unless
 * {@link #getSigningKeyCredentialsId()} names a secret-text credential holding a PKCS#8 PEM key.
 */
@Extension
@Symbol("taskbound")
public class TaskboundConfiguration extends GlobalConfiguration {
  private String issuerUrl;
  private String trustedCertificates;
  private String controllerName;
  private String signingKeyCredentialsId;
  /** The plugin-managed controller key (PKCS#8 PEM), encrypted on disk; never exposed through a getter or JCasC. */
  private Secret managedSigningKey;

  private transient volatile ControllerKey cachedKey;
  private transient volatile String cachedKeySource;

  public TaskboundConfiguration() {
    load();
  }

  public static TaskboundConfiguration get() {
    return ExtensionList.lookupSingleton(TaskboundConfiguration.class);
  }

  @CheckForNull
  public String getIssuerUrl() {
    return issuerUrl;
  }

  @DataBoundSetter
  public void setIssuerUrl(String issuerUrl) {
    String url = Util.fixEmptyAndTrim(issuerUrl);
    this.issuerUrl = url != null && url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    save();
  }

  /** PEM certificates of the issuer's TLS CA; when set, only they are trusted for the issuer connection. */
  @CheckForNull
  public String getTrustedCertificates() {
    return trustedCertificates;
  }

  @DataBoundSetter
  public void setTrustedCertificates(String trustedCertificates) {
    this.trustedCertificates = Util.fixEmptyAndTrim(trustedCertificates);
    save();
  }

  @CheckForNull
  public String getControllerName() {
    return controllerName;
  }

  @DataBoundSetter
  public void setControllerName(String controllerName) {
    this.controllerName = Util.fixEmptyAndTrim(controllerName);
    save();
  }

  @CheckForNull
  public String getSigningKeyCredentialsId() {
    return signingKeyCredentialsId;
  }

  @DataBoundSetter
  public void setSigningKeyCredentialsId(String signingKeyCredentialsId) {
    this.signingKeyCredentialsId = Util.fixEmptyAndTrim(signingKeyCredentialsId);
    cachedKey = null;
    save();
  }

  /** The configured name, else the host of the Jenkins URL, else {@code jenkins}: what the issuer registers. */
  @NonNull
  public String getEffectiveControllerName() {
    if (controllerName != null) {
      return controllerName;
    }
    String root = Jenkins.get().getRootUrl();
    if (root != null) {
      String host = URI.create(root).getHost();
      if (host != null) {
        return host.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._-]", "-");
      }
    }
    return "jenkins";
  }

  /** The controller's signing key: from the credential when one is configured, else the plugin-managed key. */
  @NonNull
  public synchronized ControllerKey controllerKey() throws AbortException {
    String source = signingKeyCredentialsId == null ? "managed" : "credential:" + signingKeyCredentialsId;
    ControllerKey key = cachedKey;
    if (key != null && source.equals(cachedKeySource)) {
      return key;
    }
    if (signingKeyCredentialsId != null) {
      StringCredentials credential =
          CredentialsMatchers.firstOrNull(
              CredentialsProvider.lookupCredentialsInItemGroup(StringCredentials.class, Jenkins.get(), ACL.SYSTEM2, Collections.emptyList()),
              CredentialsMatchers.withId(signingKeyCredentialsId));
      if (credential == null) {
        throw new AbortException("Taskbound: no secret-text credential '" + signingKeyCredentialsId + "' holds the controller signing key");
      }
      try {
        key = ControllerKey.fromPem(credential.getSecret().getPlainText());
      } catch (IllegalArgumentException e) {
        throw new AbortException("Taskbound: credential '" + signingKeyCredentialsId + "': " + e.getMessage());
      }
    } else {
      if (managedSigningKey == null) {
        managedSigningKey = Secret.fromString(ControllerKey.generate().privateKeyPem());
        save();
      }
      key = ControllerKey.fromPem(managedSigningKey.getPlainText());
    }
    cachedKey = key;
    cachedKeySource = source;
    return key;
  }

  /** A client for the configured issuer; fails the step with a message an admin can act on when none is set. */
  @NonNull
  StepIdentity stepIdentity() throws AbortException {
    return new StepIdentity(issuerClient());
  }

  @NonNull
  IssuerClient issuerClient() throws AbortException {
    if (issuerUrl == null) {
      throw new AbortException("Taskbound: no issuer URL configured (Manage Jenkins › System › Taskbound)");
    }
    try {
      return new IssuerClient(issuerUrl, IssuerTls.httpClient(trustedCertificates), Clock.systemUTC(), Duration.ofSeconds(30));
    } catch (IllegalArgumentException e) {
      throw new AbortException("Taskbound: trusted certificates: " + e.getMessage());
    }
  }

  @NonNull
  RunStatementSigner signer() throws AbortException {
    IssuerClient client = issuerClient();
    try {
      return new RunStatementSigner(getEffectiveControllerName(), client.issuerUrl(), controllerKey());
    } catch (IllegalArgumentException e) {
      throw new AbortException("Taskbound: " + e.getMessage());
    }
  }

  @POST
  public FormValidation doCheckIssuerUrl(@QueryParameter String value) {
    Jenkins.get().checkPermission(Jenkins.ADMINISTER);
    String url = Util.fixEmptyAndTrim(value);
    if (url == null) {
      return FormValidation.warning("withTaskIdentity fails until an issuer URL is set");
    }
    try {
      URI uri = URI.create(url);
      if ("https".equals(uri.getScheme()) && uri.getHost() != null) {
        return FormValidation.ok();
      }
      if ("http".equals(uri.getScheme()) && ("localhost".equals(uri.getHost()) || "127.0.0.1".equals(uri.getHost()))) {
        return FormValidation.warning("plain http is only for an issuer on this machine");
      }
      return FormValidation.error("the issuer URL must be https://…");
    } catch (IllegalArgumentException e) {
      return FormValidation.error("not a URL");
    }
  }

  @POST
  public FormValidation doCheckControllerName(@QueryParameter String value) {
    Jenkins.get().checkPermission(Jenkins.ADMINISTER);
    String name = Util.fixEmptyAndTrim(value);
    if (name == null) {
      return FormValidation.ok("Defaults to " + getEffectiveControllerName());
    }
    return name.matches("[A-Za-z0-9._-]{1,128}") ? FormValidation.ok() : FormValidation.error("1-128 characters of A-Z a-z 0-9 . _ -");
  }

  @POST
  public FormValidation doCheckTrustedCertificates(@QueryParameter String value) {
    Jenkins.get().checkPermission(Jenkins.ADMINISTER);
    if (Util.fixEmptyAndTrim(value) == null) {
      return FormValidation.ok();
    }
    try {
      int n = IssuerTls.countCertificates(value);
      return n == 0 ? FormValidation.error("no certificate found") : FormValidation.ok(n + " certificate(s)");
    } catch (IllegalArgumentException e) {
      return FormValidation.error(e.getMessage());
    }
  }

  @POST
  public ListBoxModel doFillSigningKeyCredentialsIdItems(@QueryParameter String signingKeyCredentialsId) {
    if (!Jenkins.get().hasPermission(Jenkins.ADMINISTER)) {
      return new StandardListBoxModel().includeCurrentValue(signingKeyCredentialsId);
    }
    return new StandardListBoxModel()
        .includeEmptyValue()
        .includeAs(ACL.SYSTEM2, Jenkins.get(), StringCredentials.class)
        .includeCurrentValue(signingKeyCredentialsId);
  }
}
