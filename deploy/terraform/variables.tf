variable "project_id" {
  description = "The Google Cloud project."
  type        = string
}

variable "region" {
  description = "The region, e.g. europe-west1."
  type        = string
}

variable "network" {
  description = "Self link of the VPC network."
  type        = string
}

variable "subnetwork" {
  description = "Self link of the subnetwork, with secondary ranges pods and services."
  type        = string
}

variable "master_authorized_networks" {
  description = "CIDR blocks allowed to reach the control plane."
  type = list(object({
    cidr_block   = string
    display_name = string
  }))
}

variable "rbac_security_group" {
  description = "gke-security-groups@<domain>: Google Groups for Kubernetes RBAC."
  type        = string
}

variable "node_pool_overrides" {
  description = "Changes to the stand's node pools (module stand)."
  type = map(object({
    machine_type = optional(string)
    min_nodes    = optional(number)
    max_nodes    = optional(number)
    disk_gb      = optional(number)
  }))
  default = {}
}

variable "gateway_max_replicas" {
  description = "Most gateways (null: the stand's default)."
  type        = number
  default     = null
}

variable "image_tag" {
  description = "The rooms image tag (empty: the chart's appVersion)."
  type        = string
  default     = ""
}

variable "jwt_secret" {
  description = "HS256 key of the gateways (TF_VAR_jwt_secret; never in a file in the repository)."
  type        = string
  sensitive   = true
}

variable "postgres_dsn" {
  description = "libpq URI of PostgreSQL with its password (TF_VAR_postgres_dsn)."
  type        = string
  sensitive   = true
}

variable "redis_password" {
  description = "Redis password (TF_VAR_redis_password)."
  type        = string
  sensitive   = true
  default     = ""
}
