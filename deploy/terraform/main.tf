# One configuration, one workspace per stand: the workspace's name (dev or prod) is the stand, and each
# workspace has its own state (gcs: <prefix>/<workspace>.tfstate), cluster and release.
#   tofu init -backend-config=bucket=<state bucket>
#   tofu workspace select -or-create prod
#   tofu apply -var-file=prod.tfvars
terraform {
  required_version = ">= 1.10.0"
  backend "gcs" {
    prefix = "rooms"
  }
  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 6.0"
    }
    helm = {
      source  = "hashicorp/helm"
      version = "~> 2.17"
    }
    kubernetes = {
      source  = "hashicorp/kubernetes"
      version = "~> 2.36"
    }
  }
}

provider "google" {
  project = var.project_id
  region  = var.region
}

data "google_client_config" "current" {}

module "stand" {
  source               = "./modules/stand"
  stand                = terraform.workspace
  region               = var.region
  node_pool_overrides  = var.node_pool_overrides
  gateway_max_replicas = var.gateway_max_replicas
}

module "cluster" {
  source                     = "./modules/gke-cluster"
  project_id                 = var.project_id
  name                       = module.stand.name
  location                   = module.stand.location
  stand                      = module.stand.stand
  node_pools                 = module.stand.node_pools
  deletion_protection        = module.stand.deletion_protection
  network                    = var.network
  subnetwork                 = var.subnetwork
  master_authorized_networks = var.master_authorized_networks
  rbac_security_group        = var.rbac_security_group
}

# How the kubernetes and helm providers reach the new cluster.
locals {
  cluster = {
    host  = "https://${module.cluster.endpoint}"
    token = data.google_client_config.current.access_token
    ca    = base64decode(module.cluster.ca_certificate)
  }
}

provider "kubernetes" {
  host                   = local.cluster.host
  token                  = local.cluster.token
  cluster_ca_certificate = local.cluster.ca
}

provider "helm" {
  kubernetes {
    host                   = local.cluster.host
    token                  = local.cluster.token
    cluster_ca_certificate = local.cluster.ca
  }
}

module "rooms" {
  source         = "./modules/rooms-release"
  stand          = module.stand.stand
  namespace      = module.stand.namespace
  chart_values   = module.stand.chart_values
  image_tag      = var.image_tag
  jwt_secret     = var.jwt_secret
  postgres_dsn   = var.postgres_dsn
  redis_password = var.redis_password
}
