"""The AWS SAM template that runs every operation on AWS Lambda, generated from the registry.

One `AWS::Serverless::Function` per operation, all from one container image (the image's
ENTRYPOINT is a Lambda runtime interface client; `ImageConfig.Command` names the operation's
Mangum handler), each with one route on one HTTP API. deploy/lambda/README.md explains the
choices; `chorus manifests` writes deploy/lambda/template.yaml and a test checks it is current.
"""

from __future__ import annotations

import copy
import importlib
import re
from collections.abc import Sequence
from typing import Any

from shared.http import Function

TRANSFORM = "AWS::Serverless-2016-10-31"
API = "ChorusApi"
ROLE = "FunctionRole"
EVENT = "Api"
HEADER = "# Generated from functions/registry.py by functions/sam.py (`chorus manifests`). Do not edit.\n"

# Lambda runs one request at a time per execution environment and a request uses one session, so
# one pooled connection, kept open across warm invocations, is all a function needs.
POOL = {"DB_POOL": "queue", "DB_POOL_SIZE": "1", "DB_MAX_OVERFLOW": "0"}

VPC_ACCESS = "service-role/AWSLambdaVPCAccessExecutionRole"

_PARAM = re.compile(r"\{(\w+)(?::(\w+))?\}")


def logical_id(function: Function) -> str:
    """The logical id: the operation name in CamelCase (`complete_occurrence` → `CompleteOccurrence`)."""
    return "".join(part.capitalize() for part in function.name.split("_"))


def handler_name(function: Function) -> str:
    """The Lambda handler: `functions.<area>.<operation>.handler`."""
    return f"{function.handler.__module__}.handler"


def route_path(path: str) -> str:
    """A Starlette path in API Gateway's syntax: `{name:uuid}` → `{name}`.

    API Gateway variables are whole path segments, so `{token:str}.ics` becomes `{token}` and the
    route takes the whole last segment; the function's own router then insists on the `.ics`.
    """
    segments = []
    for segment in path.split("/"):
        found = _PARAM.findall(segment)
        if not found:
            segments.append(segment)
            continue
        if len(found) > 1:
            raise ValueError(f"{path}: API Gateway takes one variable per path segment")
        name, convertor = found[0]
        segments.append(f"{{{name}+}}" if convertor == "path" else f"{{{name}}}")
    return "/".join(segments)


def _ref(name: str) -> dict[str, Any]:
    return {"Ref": name}


def _sub(text: str) -> dict[str, Any]:
    return {"Fn::Sub": text}


def _secret(key: str) -> dict[str, Any]:
    # Resolved by CloudFormation at deploy time: the template and the repository hold no secret.
    return _sub(f"{{{{resolve:secretsmanager:${{SecretId}}:SecretString:{key}}}}}")


PARAMETERS: dict[str, Any] = {
    "ImageUri": {
        "Type": "String",
        "Description": "The Lambda image in ECR (URI with tag or digest); see deploy/lambda/README.md",
    },
    "SecretId": {
        "Type": "String",
        "Default": "chorus/production",
        "Description": "Secrets Manager secret whose JSON has DATABASE_URL and REDIS_URL",
    },
    "FirebaseProjectId": {"Type": "String", "MinLength": 1, "Description": "FIREBASE_PROJECT_ID"},
    "FirebaseWebApiKey": {
        "Type": "String",
        "MinLength": 1,
        "Description": "FIREBASE_WEB_API_KEY (public by design; served by get_client_config)",
    },
    "FirebaseAuthDomain": {"Type": "String", "Default": "", "Description": "FIREBASE_AUTH_DOMAIN"},
    "PublicUrl": {
        "Type": "String",
        "AllowedPattern": "^https://.+",
        "Description": "PUBLIC_URL: where people open Chorus (invite links point here)",
    },
    "LogLevel": {"Type": "String", "Default": "INFO", "AllowedValues": ["DEBUG", "INFO", "WARNING", "ERROR"]},
    "DatabaseBehindRdsProxy": {
        "Type": "String",
        "Default": "true",
        "AllowedValues": ["true", "false"],
        "Description": "DATABASE_URL points at RDS Proxy: no client-side prepared statement cache",
    },
    "SubnetIds": {
        "Type": "List<AWS::EC2::Subnet::Id>",
        "Description": "Private subnets that reach the database, Redis and (through NAT) Google's token keys",
    },
    "SecurityGroupIds": {"Type": "List<AWS::EC2::SecurityGroup::Id>"},
}

ENVIRONMENT: dict[str, Any] = {
    "ENVIRONMENT": "production",
    "LOG_LEVEL": _ref("LogLevel"),
    "DATABASE_URL": _secret("DATABASE_URL"),
    "REDIS_URL": _secret("REDIS_URL"),
    **POOL,
    "DB_STATEMENT_CACHE_SIZE": {"Fn::If": ["UseRdsProxy", "0", _ref("AWS::NoValue")]},
    "FIREBASE_PROJECT_ID": _ref("FirebaseProjectId"),
    "FIREBASE_WEB_API_KEY": _ref("FirebaseWebApiKey"),
    "FIREBASE_AUTH_DOMAIN": _ref("FirebaseAuthDomain"),
    "PUBLIC_URL": _ref("PublicUrl"),
}


def _function(function: Function) -> dict[str, Any]:
    component = function.name.replace("_", "-")
    return {
        "Type": "AWS::Serverless::Function",
        "Properties": {
            "FunctionName": _sub(f"${{AWS::StackName}}-{component}"),
            "Description": function.summary[:256],
            "PackageType": "Image",
            "ImageUri": _ref("ImageUri"),
            "ImageConfig": {"Command": [handler_name(function)]},
            "Role": {"Fn::GetAtt": [ROLE, "Arn"]},
            "Tags": {"app.kubernetes.io/name": component},
            "Events": {
                EVENT: {
                    "Type": "HttpApi",
                    "Properties": {
                        "ApiId": _ref(API),
                        "Method": function.method,
                        "Path": route_path(function.path),
                        "PayloadFormatVersion": "2.0",
                    },
                }
            },
        },
    }


def template(functions: Sequence[Function]) -> dict[str, Any]:
    """The SAM template for these operations, in their order (the same input gives the same output)."""
    ids = [logical_id(function) for function in functions]
    clashes = sorted({id_ for id_ in ids if ids.count(id_) > 1 or id_ in (API, ROLE)})
    if clashes:
        raise ValueError(f"logical ids used twice: {', '.join(clashes)}")
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Transform": TRANSFORM,
        "Description": "Chorus API on AWS Lambda: one function per operation behind one HTTP API",
        "Parameters": copy.deepcopy(PARAMETERS),
        "Conditions": {"UseRdsProxy": {"Fn::Equals": [_ref("DatabaseBehindRdsProxy"), "true"]}},
        "Globals": {
            "Function": {
                "Timeout": 15,
                "MemorySize": 512,
                "Architectures": ["x86_64"],
                "VpcConfig": {"SubnetIds": _ref("SubnetIds"), "SecurityGroupIds": _ref("SecurityGroupIds")},
                "Environment": {"Variables": copy.deepcopy(ENVIRONMENT)},
                "Tags": {"app.kubernetes.io/part-of": "chorus"},
            }
        },
        "Resources": {
            API: {
                "Type": "AWS::Serverless::HttpApi",
                "Properties": {"Description": "Chorus API (/api/...)", "FailOnWarnings": True},
            },
            ROLE: {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": "lambda.amazonaws.com"},
                                "Action": "sts:AssumeRole",
                            }
                        ],
                    },
                    # Logs and the network interfaces a function in a VPC needs; nothing else.
                    "ManagedPolicyArns": [_sub(f"arn:${{AWS::Partition}}:iam::aws:policy/{VPC_ACCESS}")],
                },
            },
            **{id_: _function(function) for id_, function in zip(ids, functions, strict=True)},
        },
        "Outputs": {
            "ApiUrl": {
                "Description": "Base URL of the API (operations are under /api/)",
                "Value": _sub("https://${ChorusApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}"),
            }
        },
    }


def render(document: dict[str, Any]) -> str:
    """The template as YAML (long-form intrinsics, keys in order), with the generated-file header."""
    # PyYAML ships no type information; the import stays untyped wherever stubs are or are not installed.
    yaml: Any = importlib.import_module("yaml")
    return HEADER + str(yaml.safe_dump(document, sort_keys=False, width=110, allow_unicode=True))
