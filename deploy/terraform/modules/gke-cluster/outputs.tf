output "endpoint" {
  description = "The control plane's address."
  value       = google_container_cluster.this.endpoint
  sensitive   = true
}

output "ca_certificate" {
  description = "The cluster CA (base64)."
  value       = google_container_cluster.this.master_auth[0].cluster_ca_certificate
  sensitive   = true
}

output "name" {
  description = "The cluster's name."
  value       = google_container_cluster.this.name
}
