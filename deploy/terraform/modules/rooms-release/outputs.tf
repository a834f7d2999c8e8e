output "release" {
  description = "The Helm release's name, namespace and revision."
  value = {
    name      = helm_release.rooms.name
    namespace = helm_release.rooms.namespace
    revision  = helm_release.rooms.metadata[0].revision
  }
}
