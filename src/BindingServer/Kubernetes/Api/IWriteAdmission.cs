using BindingServer.Kubernetes.Authentication;
using BindingServer.Kubernetes.Model;

namespace BindingServer.Kubernetes.Api;

/// <summary>
/// A check on a client's write that needs to know who writes (RBAC's escalation prevention). It runs on the decoded
/// object (the patched one for an update) before preparation and validation, as the apiserver's policy-based storages do,
/// and refuses by throwing a <see cref="Errors.KubeApiException"/>.
/// </summary>
public interface IWriteAdmission
{
    void Admit(ResourceDefinition definition, KubeObject obj, KubeObject? old, UserInfo user);
}
