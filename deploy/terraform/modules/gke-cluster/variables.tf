variable "project_id" {
  description = "The Google Cloud project of the cluster."
  type        = string
}

variable "name" {
  description = "The cluster's name (module stand: name)."
  type        = string
}

variable "location" {
  description = "A region (regional cluster) or a zone (module stand: location)."
  type        = string
}

variable "stand" {
  description = "dev or prod, as a label on every resource."
  type        = string
}

variable "node_pools" {
  description = "Node pools (module stand: node_pools): name, machine_type, min_nodes, max_nodes, disk_gb, role."
  type = map(object({
    name         = string
    machine_type = string
    min_nodes    = number
    max_nodes    = number
    disk_gb      = number
    role         = string
  }))
}

variable "deletion_protection" {
  description = "Refuse to destroy the cluster (module stand: deletion_protection)."
  type        = bool
}

variable "network" {
  description = "Self link of the VPC network."
  type        = string
}

variable "subnetwork" {
  description = "Self link of the subnetwork, with secondary ranges named pods and services."
  type        = string
}

variable "master_ipv4_cidr_block" {
  description = "The /28 of the private control plane."
  type        = string
  default     = "172.16.0.0/28"
}

variable "master_authorized_networks" {
  description = "CIDR blocks allowed to reach the control plane (CI runners, operators)."
  type = list(object({
    cidr_block   = string
    display_name = string
  }))
}

variable "rbac_security_group" {
  description = "The gke-security-groups@<domain> Google Group whose nested groups RBAC bindings may name."
  type        = string

  validation {
    condition     = can(regex("^gke-security-groups@[a-z0-9.-]+$", var.rbac_security_group))
    error_message = "It must be gke-security-groups@<your domain>."
  }
}
