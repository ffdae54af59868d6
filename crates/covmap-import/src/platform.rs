//! Platform names of other tools mapped to ATT&CK's spelling (enterprise ATT&CK 18).
//!
//! | written (any case) | ATT&CK platform |
//! |---|---|
//! | windows | Windows |
//! | linux | Linux |
//! | macos, mac, osx | macOS |
//! | aws, azure, gcp, iaas | IaaS |
//! | azure ad, entra id, okta, onelogin, identity provider | Identity Provider |
//! | office 365, m365, microsoft 365, google workspace, office suite | Office Suite |
//! | saas, github, gitlab, zoom, slack | SaaS |
//! | network, network devices, cisco | Network Devices |
//! | containers, kubernetes, docker | Containers |
//! | esxi, vmware | ESXi |
//! | pre | PRE |
//!
//! Older ATT&CK names (`Office 365`, `Azure AD`, `AWS`, `GCP`, `Azure`, `Google Workspace`)
//! were merged into today's platforms in ATT&CK 14-16; they map to them. Anything else is not a
//! platform (`None`): the importer reports it.

/// The ATT&CK platform a tool's platform or product name stands for.
pub fn attack_platform(written: &str) -> Option<&'static str> {
    let lower = written.trim().to_ascii_lowercase();
    Some(match lower.as_str() {
        "windows" => "Windows",
        "linux" => "Linux",
        "macos" | "mac" | "osx" => "macOS",
        "aws" | "azure" | "gcp" | "iaas" => "IaaS",
        "azure ad" | "azuread" | "azure_ad" | "entra id" | "okta" | "onelogin"
        | "identity provider" => "Identity Provider",
        "office 365" | "m365" | "microsoft 365" | "google workspace" | "office suite" => {
            "Office Suite"
        }
        "saas" | "github" | "gitlab" | "zoom" | "slack" => "SaaS",
        "network" | "network devices" | "cisco" => "Network Devices",
        "containers" | "kubernetes" | "docker" => "Containers",
        "esxi" | "vmware" => "ESXi",
        "pre" => "PRE",
        _ => return None,
    })
}

/// Maps a list of names, sorted, without repeats; unknown names are returned apart.
pub fn attack_platforms<'a>(
    written: impl IntoIterator<Item = &'a str>,
) -> (Vec<String>, Vec<String>) {
    let mut known: Vec<String> = Vec::new();
    let mut unknown = Vec::new();
    for name in written {
        match attack_platform(name) {
            Some(p) => {
                if !known.iter().any(|k| k == p) {
                    known.push(p.to_string());
                }
            }
            None => unknown.push(name.to_string()),
        }
    }
    known.sort();
    (known, unknown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        assert_eq!(attack_platform("WINDOWS"), Some("Windows"));
        assert_eq!(attack_platform("Azure AD"), Some("Identity Provider"));
        assert_eq!(attack_platform("Office 365"), Some("Office Suite"));
        assert_eq!(attack_platform("gcp"), Some("IaaS"));
        assert_eq!(attack_platform("amiga"), None);
        let (known, unknown) = attack_platforms(["AWS", "Azure", "Linux", "x"]);
        assert_eq!(known, ["IaaS", "Linux"]);
        assert_eq!(unknown, ["x"]);
    }
}
