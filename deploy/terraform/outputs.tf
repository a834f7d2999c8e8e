output "cluster" {
  description = "The cluster's name."
  value       = module.cluster.name
}

output "release" {
  description = "The rooms release."
  value       = module.rooms.release
}
